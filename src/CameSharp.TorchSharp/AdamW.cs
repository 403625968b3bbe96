using static TorchSharp.torch.optim;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// AdamW exactly as torch.optim.AdamW, as a TorchSharp optimizer whose step is one fused pass (the engine's
/// <see cref="Engine.AdamWRule"/>): on the CPU kernels for contiguous float32 CPU parameters, through torch ops for the
/// rest. TorchSharp's own <c>torch.optim.AdamW</c> steps tensor by tensor in several ops; this one gives the same
/// result and the engine's guarantees (non-finite policy, atomic checkpoints). Create one with
/// <see cref="Optim.AdamW(IEnumerable{Parameter}, double?, double?, double?, double?, double?)"/>.
/// </summary>
public sealed class AdamW : CameSharpOptimizer<Engine.AdamWOptions>, IBetas
{
    internal AdamW(IEnumerable<ParamGroup> groups, Options defaults) : base(new Engine.AdamWRule(), Options.Binder, defaults, groups)
    {
    }

    /// <summary>(β1, β2) of the defaults, for schedulers that cycle momentum (OneCycleLR).</summary>
    public (double, double) Betas
    {
        get => ((Options)_defaults).Betas;
        set => ((Options)_defaults).Betas = value;
    }

    /// <summary>AdamW's hyperparameters for a param group; null takes the optimizer's default, then torch.optim's.</summary>
    public sealed class Options : HyperparameterOptions<Options, Engine.AdamWOptions>
    {
        /// <summary>β1 (default 0.9).</summary>
        public double? beta1;
        /// <summary>β2 (default 0.999).</summary>
        public double? beta2;
        /// <summary>ε, added to the bias-corrected √v (default 1e-8).</summary>
        public double? eps;
        /// <summary>λ, decoupled weight decay p ← p·(1 − η·λ) (default 0.01).</summary>
        public double? weight_decay;

        internal override (double, double) Betas
        {
            get => (beta1!.Value, beta2!.Value);
            set => (beta1, beta2) = value;
        }
    }

    /// <summary>A param group of AdamW.</summary>
    public sealed class ParamGroup : CameSharpParamGroup<Options, Engine.AdamWOptions>
    {
        /// <summary>An empty group.</summary>
        public ParamGroup() { }

        /// <summary>A group of <paramref name="parameters"/> with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
        public ParamGroup(IEnumerable<Parameter> parameters, Options? options = null) : base(parameters, options) { }
    }
}
