using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;
using OptimizerState = global::TorchSharp.Modules.OptimizerState;
using Parameter = global::TorchSharp.Modules.Parameter;
using TorchParamGroup = global::TorchSharp.Modules.ParamGroup;

/// <summary>
/// Adafactor (transformers semantics) as a TorchSharp optimizer; the math is the engine's <see cref="Engine.Adafactor"/>.
/// With the default relative step there is no learning rate for a scheduler to drive: set <c>relative_step</c> and
/// <c>scale_parameter</c> to false and give <c>lr</c> for that.
/// </summary>
public sealed class Adafactor : CameSharpOptimizer<Engine.AdafactorOptions>, IBetas
{
    internal Adafactor(IEnumerable<ParamGroup> groups, Options defaults) : base(new Engine.AdafactorRule(), defaults)
    {
        ToEngine(defaults);
        foreach (var g in groups) add_param_group(g);
    }

    /// <summary>(β1, 0): β1 of the defaults (0 without momentum); β2 follows decay_rate and cannot be set.</summary>
    public (double, double) Betas
    {
        get => (((Options)_defaults).beta1 ?? 0, 0);
        set { if (((Options)_defaults).beta1 is not null) ((Options)_defaults).beta1 = value.Item1; }
    }

    /// <summary>Adafactor's hyperparameters for a param group; null takes the optimizer's default, then transformers'.</summary>
    public sealed class Options : OptimizerOptions
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

        /// <inheritdoc/>
        public override void SaveStateDict(BinaryWriter writer)
        {
            // Not base.SaveStateDict: with the relative step there is no learning rate to write.
            writer.Write(InitialLearningRate);
            writer.Write(LearningRate.HasValue);
            writer.Write(LearningRate ?? 0);
            foreach (var v in new[] { eps1, eps2, clip_threshold, decay_rate, weight_decay }) writer.Write(v!.Value);
            writer.Write(beta1.HasValue);
            writer.Write(beta1 ?? 0);
            foreach (var b in new[] { scale_parameter, relative_step, warmup_init }) writer.Write(b!.Value);
        }

        /// <inheritdoc/>
        public override void LoadStateDict(BinaryReader reader)
        {
            InitialLearningRate = reader.ReadDouble();
            bool hasLr = reader.ReadBoolean();
            double lr = reader.ReadDouble();
            LearningRate = hasLr ? lr : null;
            (eps1, eps2, clip_threshold, decay_rate, weight_decay) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
            bool hasBeta1 = reader.ReadBoolean();
            double b1 = reader.ReadDouble();
            beta1 = hasBeta1 ? b1 : null;
            (scale_parameter, relative_step, warmup_init) = (reader.ReadBoolean(), reader.ReadBoolean(), reader.ReadBoolean());
        }

        /// <inheritdoc/>
        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var o = (Options)source;
            (eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay, scale_parameter, relative_step, warmup_init) =
                (o.eps1, o.eps2, o.clip_threshold, o.decay_rate, o.beta1, o.weight_decay, o.scale_parameter, o.relative_step, o.warmup_init);
        }
    }

    /// <summary>A param group of Adafactor.</summary>
    public sealed class ParamGroup : global::TorchSharp.Modules.ParamGroup<Options>, IBetas
    {
        /// <summary>An empty group.</summary>
        public ParamGroup() { }

        /// <summary>A group of <paramref name="parameters"/> with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
        public ParamGroup(IEnumerable<Parameter> parameters, Options? options = null) : base(parameters, options ?? new Options()) { }

        /// <summary>(β1, 0); see <see cref="Adafactor.Betas"/>.</summary>
        public (double, double) Betas
        {
            get => (Options.beta1 ?? 0, 0);
            set { if (Options.beta1 is not null) Options.beta1 = value.Item1; }
        }
    }

    internal override Engine.AdafactorOptions ToEngine(OptimizerOptions options)
    {
        var o = (Options)options;
        var d = new Engine.AdafactorOptions();
        var resolved = new Engine.AdafactorOptions
        {
            LearningRate = o.LearningRate,
            Eps1 = o.eps1 ?? d.Eps1,
            Eps2 = o.eps2 ?? d.Eps2,
            ClipThreshold = o.clip_threshold ?? d.ClipThreshold,
            DecayRate = o.decay_rate ?? d.DecayRate,
            Beta1 = o.beta1,
            WeightDecay = o.weight_decay ?? d.WeightDecay,
            ScaleParameter = o.scale_parameter ?? d.ScaleParameter,
            RelativeStep = o.relative_step ?? d.RelativeStep,
            WarmupInit = o.warmup_init ?? d.WarmupInit,
        };
        // The engine's group checks the rules that tie options together (lr with relative_step, ...).
        _ = new Engine.ParamGroup<Engine.AdafactorOptions>([], resolved);
        return resolved;
    }

    internal override void WriteBack(Engine.AdafactorOptions r, OptimizerOptions options)
    {
        var o = (Options)options;
        (o.LearningRate, o.eps1, o.eps2, o.clip_threshold, o.decay_rate, o.beta1, o.weight_decay, o.scale_parameter, o.relative_step, o.warmup_init) =
            (r.LearningRate, r.Eps1, r.Eps2, r.ClipThreshold, r.DecayRate, r.Beta1, r.WeightDecay, r.ScaleParameter, r.RelativeStep, r.WarmupInit);
    }

    internal override void FillDefaults(OptimizerOptions options, OptimizerOptions defaults)
    {
        var (o, d) = ((Options)options, (Options)defaults);
        o.LearningRate ??= d.LearningRate;
        o.eps1 ??= d.eps1;
        o.eps2 ??= d.eps2;
        o.clip_threshold ??= d.clip_threshold;
        o.decay_rate ??= d.decay_rate;
        o.beta1 ??= d.beta1;
        o.weight_decay ??= d.weight_decay;
        o.scale_parameter ??= d.scale_parameter;
        o.relative_step ??= d.relative_step;
        o.warmup_init ??= d.warmup_init;
    }

    internal override OptimizerOptions NewOptions() => new Options();
}
