namespace CameSharp.TorchSharp;

/// <summary>
/// Adafactor (transformers semantics) as a TorchSharp optimizer; the math is the engine's <see cref="CameSharp.Adafactor"/>.
/// With the default relative step there is no learning rate for a scheduler to drive: set <c>relative_step</c> and
/// <c>scale_parameter</c> to false and give <c>lr</c> for that.
/// </summary>
public sealed class Adafactor : CameSharpOptimizer<AdafactorOptions>
{
    internal Adafactor(IEnumerable<ParamGroup> groups, Options defaults) : base(new AdafactorRule(), Options.Binder, defaults, groups) { }

    /// <summary>Adafactor's hyperparameters for a param group; null takes the optimizer's default, then transformers'.</summary>
    public sealed class Options : HyperparameterOptions<Options, AdafactorOptions>
    {
        /// <summary>ε1, added to g² (default 1e-30).</summary>
        public double? eps1;
        /// <summary>ε2, the least parameter scale (default 1e-3).</summary>
        public double? eps2;
        /// <summary>d, the RMS clipping threshold (default 1.0).</summary>
        public double? clip_threshold;
        /// <summary>c in β2(t) = 1 − t^c (default −0.8).</summary>
        public double? decay_rate;
        /// <summary>β1 of the optional momentum (default none).</summary>
        public double? beta1;
        /// <summary>λ, decoupled weight decay (default 0).</summary>
        public double? weight_decay;
        /// <summary>Scale the step by RMS(p) (default true).</summary>
        public bool? scale_parameter;
        /// <summary>Use the relative step size (default true).</summary>
        public bool? relative_step;
        /// <summary>Warm the relative step up from 1e-6 (default false).</summary>
        public bool? warmup_init;
    }

    /// <summary>A param group of Adafactor: its parameters with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
    public sealed class ParamGroup(IEnumerable<global::TorchSharp.Modules.Parameter>? parameters = null, Options? options = null)
        : CameSharpParamGroup<Options, AdafactorOptions>(parameters ?? [], options);
}
