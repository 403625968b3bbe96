namespace CameSharp.TorchSharp;

/// <summary>
/// CAME (Luo et al., ACL 2023) as a TorchSharp optimizer: a drop-in for torch.optim.AdamW with Adafactor-like memory.
/// The math is the engine's <see cref="CameSharp.Came"/>; see <see cref="CameSharpOptimizer{TEngineOptions}"/> for how
/// parameters are stepped. Create one with <see cref="Optim.Came(IEnumerable{global::TorchSharp.Modules.Parameter}, double, double?, double?, double?, double?, double?, double?, double?, bool?)"/>.
/// </summary>
public sealed class Came : CameSharpOptimizer<CameOptions>
{
    internal Came(IEnumerable<ParamGroup> groups, Options defaults) : base(new CameRule(), Options.Binder, defaults, groups) { }

    /// <summary>CAME's hyperparameters for a param group; null takes the optimizer's default, then the paper's.</summary>
    public sealed class Options : HyperparameterOptions<Options, CameOptions>
    {
        /// <summary>β1, momentum decay (default 0.9).</summary>
        public double? beta1;
        /// <summary>β2, decay of the factored second moment (default 0.999).</summary>
        public double? beta2;
        /// <summary>β3, decay of the factored instability (default 0.9999).</summary>
        public double? beta3;
        /// <summary>ε1, added to g² (default 1e-30).</summary>
        public double? eps1;
        /// <summary>ε2, added to the instability (default 1e-16).</summary>
        public double? eps2;
        /// <summary>d, the RMS clipping threshold (default 1.0).</summary>
        public double? clip_threshold;
        /// <summary>λ, decoupled weight decay (default 0).</summary>
        public double? weight_decay;
        /// <summary>Adam-style bias correction of m, v and the instability where they are used (default false: the official algorithm).</summary>
        public bool? bias_correction;
    }

    /// <summary>A param group of CAME: its parameters with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
    public sealed class ParamGroup(IEnumerable<global::TorchSharp.Modules.Parameter>? parameters = null, Options? options = null)
        : CameSharpParamGroup<Options, CameOptions>(parameters ?? [], options);
}
