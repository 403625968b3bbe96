namespace CameSharp;

/// <summary>
/// Values for some of an optimizer's hyperparameters, read by <see cref="HyperparameterSet{TOptions}.Create"/>: the
/// reference's JSON, or the TorchSharp adapter's option fields. A value not given takes its declared default.
/// </summary>
public interface IHyperparameterSource
{
    /// <summary>The value given for a number (or an optional number, whose default is null: off); false when none is.</summary>
    bool TryGetNumber(Hyperparameter hyperparameter, out double value);

    /// <summary>The value given for a switch; false when none is.</summary>
    bool TryGetFlag(Hyperparameter hyperparameter, out bool value);
}
