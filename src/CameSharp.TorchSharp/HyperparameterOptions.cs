using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

/// <summary>
/// What the options of CameSharp's TorchSharp optimizers share. Each hyperparameter the engine declares for
/// <typeparamref name="TEngineOptions"/> is a public field of <typeparamref name="TSelf"/> named as the reference names it
/// (<c>beta1</c>, <c>clip_threshold</c>), null until set; <c>lr</c> is TorchSharp's <see cref="OptimizerOptions.LearningRate"/>,
/// which schedulers drive. Saving, loading and copying the options derive from the declarations.
/// </summary>
/// <typeparam name="TSelf">The optimizer's options class.</typeparam>
/// <typeparam name="TEngineOptions">The engine's options record, which declares the hyperparameters.</typeparam>
public abstract class HyperparameterOptions<TSelf, TEngineOptions> : OptimizerOptions, IBetasOptions
    where TSelf : HyperparameterOptions<TSelf, TEngineOptions>, new()
    where TEngineOptions : Engine.OptimizerOptions, Engine.IHyperparameterOptions<TEngineOptions>
{
    private protected HyperparameterOptions() { }

    /// <summary>The fields of <typeparamref name="TSelf"/> bound to the declarations, once per type.</summary>
    internal static OptionsBinder<TEngineOptions, TSelf> Binder { get; } = new();

    /// <summary>(β1, β2) as the optimizer exposes them through <c>IBetas</c>, for schedulers that cycle momentum.</summary>
    internal (double, double) Betas
    {
        get => Binder.GetBetas((TSelf)this);
        set => Binder.SetBetas((TSelf)this, value);
    }

    (double, double) IBetasOptions.Betas
    {
        get => Betas;
        set => Betas = value;
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer) => Binder.Save(writer, (TSelf)this);

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader) => Binder.Load(reader, (TSelf)this);

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerOptions source)
    {
        base.LoadStateDict(source);
        Binder.Copy((TSelf)source, (TSelf)this);
    }
}
