using static TorchSharp.torch.optim;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// Adafactor (transformers semantics) as a TorchSharp optimizer; the math is the engine's <see cref="Engine.Adafactor"/>.
/// With the default relative step there is no learning rate for a scheduler to drive: set <c>relative_step</c> and
/// <c>scale_parameter</c> to false and give <c>lr</c> for that.
/// </summary>
public sealed class Adafactor : CameSharpOptimizer<Engine.AdafactorOptions>, IBetas
{
    internal Adafactor(IEnumerable<ParamGroup> groups, Options defaults) : base(new Engine.AdafactorRule(), Options.Binder, defaults, groups)
    {
    }

    /// <summary>(β1, 0): β1 of the defaults (0 without momentum); β2 follows decay_rate and cannot be set.</summary>
    public (double, double) Betas
    {
        get => ((Options)_defaults).Betas;
        set => ((Options)_defaults).Betas = value;
    }

    /// <summary>Adafactor's hyperparameters for a param group; null takes the optimizer's default, then transformers'.</summary>
    public sealed class Options : HyperparameterOptions<Options, Engine.AdafactorOptions>
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

        /// <inheritdoc cref="Adafactor.Betas"/>
        internal override (double, double) Betas
        {
            get => (beta1 ?? 0, 0);
            set { if (beta1 is not null) beta1 = value.Item1; }
        }
    }

    /// <summary>A param group of Adafactor.</summary>
    public sealed class ParamGroup : CameSharpParamGroup<Options, Engine.AdafactorOptions>
    {
        /// <summary>An empty group.</summary>
        public ParamGroup() { }

        /// <summary>A group of <paramref name="parameters"/> with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
        public ParamGroup(IEnumerable<Parameter> parameters, Options? options = null) : base(parameters, options) { }
    }
}
