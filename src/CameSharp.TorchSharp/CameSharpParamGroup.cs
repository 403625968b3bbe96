using static TorchSharp.torch.optim;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// What the param groups of CameSharp's TorchSharp optimizers share: their parameters with <typeparamref name="TOptions"/>
/// (null fields take the optimizer's defaults), and (β1, β2) read from those options, for schedulers that cycle momentum.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options class.</typeparam>
/// <typeparam name="TEngineOptions">The engine's options record, which declares the hyperparameters.</typeparam>
public abstract class CameSharpParamGroup<TOptions, TEngineOptions> : global::TorchSharp.Modules.ParamGroup<TOptions>, IBetas
    where TOptions : HyperparameterOptions<TOptions, TEngineOptions>, new()
    where TEngineOptions : Engine.OptimizerOptions, Engine.IHyperparameterOptions<TEngineOptions>
{
    private protected CameSharpParamGroup(IEnumerable<Parameter> parameters, TOptions? options) : base(parameters, options ?? new TOptions()) { }

    /// <summary>(β1, β2) of the group's options, as the optimizer's <c>Betas</c> reads them from its defaults.</summary>
    public (double, double) Betas
    {
        get => Options.Betas;
        set => Options.Betas = value;
    }
}
