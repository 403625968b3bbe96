namespace CameSharp;

/// <summary>Options whose hyperparameters are declared: generic code (the TorchSharp adapter) reaches the declarations from the type.</summary>
/// <typeparam name="TSelf">The options record.</typeparam>
public interface IHyperparameterOptions<TSelf> where TSelf : OptimizerOptions, IHyperparameterOptions<TSelf>
{
    /// <summary>The optimizer's hyperparameters, in the order of the reference's param group.</summary>
    static abstract HyperparameterSet<TSelf> Hyperparameters { get; }
}
