namespace CameSharp.TorchSharp;

/// <summary>
/// AdamW exactly as torch.optim.AdamW, as a TorchSharp optimizer whose step is one fused pass (the engine's
/// <see cref="AdamWRule"/>): on the CPU kernels for contiguous float32 CPU parameters, through torch ops for the
/// rest. TorchSharp's own <c>torch.optim.AdamW</c> steps tensor by tensor in several ops; this one gives the same
/// result and the engine's guarantees (non-finite policy, atomic checkpoints). Create one with
/// <see cref="Optim.AdamW(IEnumerable{global::TorchSharp.Modules.Parameter}, double?, double?, double?, double?, double?)"/>.
/// </summary>
public sealed class AdamW : CameSharpOptimizer<AdamWOptions>
{
    internal AdamW(IEnumerable<ParamGroup> groups, Options defaults) : base(new AdamWRule(), Options.Binder, defaults, groups) { }

    /// <summary>AdamW's hyperparameters for a param group; null takes the optimizer's default, then torch.optim's.</summary>
    public sealed class Options : AdamMomentsOptions<Options, AdamWOptions>
    {
    }

    /// <summary>A param group of AdamW: its parameters with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
    public sealed class ParamGroup(IEnumerable<global::TorchSharp.Modules.Parameter>? parameters = null, Options? options = null)
        : CameSharpParamGroup<Options, AdamWOptions>(parameters ?? [], options);
}
