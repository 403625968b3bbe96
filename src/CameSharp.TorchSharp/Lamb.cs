namespace CameSharp.TorchSharp;

/// <summary>LAMB (apex FusedLAMB semantics) as a TorchSharp optimizer; the math is the engine's <see cref="CameSharp.Lamb"/>.</summary>
public sealed class Lamb : CameSharpOptimizer<LambOptions>
{
    internal Lamb(IEnumerable<ParamGroup> groups, Options defaults) : base(new LambRule(), Options.Binder, defaults, groups) { }

    /// <summary>LAMB's hyperparameters for a param group; null takes the optimizer's default, then apex's.</summary>
    public sealed class Options : AdamMomentsOptions<Options, LambOptions>
    {
    }

    /// <summary>A param group of LAMB: its parameters with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
    public sealed class ParamGroup(IEnumerable<global::TorchSharp.Modules.Parameter>? parameters = null, Options? options = null)
        : CameSharpParamGroup<Options, LambOptions>(parameters ?? [], options);
}
