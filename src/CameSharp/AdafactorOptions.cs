using static CameSharp.Hyperparameter;
using static CameSharp.HyperparameterRange;

namespace CameSharp;

/// <summary>
/// Hyperparameters of <see cref="Adafactor"/> (Shazeer &amp; Stern, 2018) with the defaults and rules of the
/// Hugging Face transformers implementation. By default the step size is relative (min(1e-2, 1/√t)) and
/// scaled by the parameter's RMS; for an external learning rate set <see cref="RelativeStep"/> and
/// <see cref="ScaleParameter"/> to false and give <see cref="LearningRate"/>.
/// </summary>
public sealed record AdafactorOptions : OptimizerOptions, IHyperparameterOptions<AdafactorOptions>
{
    /// <summary>
    /// Adafactor's hyperparameters as transformers' param group holds them: <c>{ lr, eps: [eps1, eps2], clip_threshold,
    /// decay_rate, beta1, weight_decay, scale_parameter, relative_step, warmup_init }</c>.
    /// </summary>
    public static HyperparameterSet<AdafactorOptions> Hyperparameters { get; } = new("adafactor", () => new AdafactorOptions(),
        Declared.LearningRate, Declared.Eps1, Declared.Eps2, Declared.ClipThreshold, Declared.DecayRate, Declared.Beta1,
        Declared.WeightDecay, Declared.ScaleParameter, Declared.RelativeStep, Declared.WarmupInit);

    /// <summary>
    /// External learning rate η (<c>lr</c>); null (the default) when <see cref="RelativeStep"/> sets it. In [0, ∞). At 0 the
    /// state still advances and, without <see cref="Beta1"/>, the parameters do not move; with it they move by β1·m, since
    /// the momentum holds updates already scaled by η, as in transformers.
    /// </summary>
    public double? LearningRate { get; init => field = Declared.LearningRate.Validate(value); }

    /// <summary>ε1 (<c>eps1</c>), added to g² before it is averaged. Default 1e-30; in [0, ∞).</summary>
    public double Eps1 { get; init => field = Declared.Eps1.Validate(value); } = Declared.Eps1.Default;

    /// <summary>ε2 (<c>eps2</c>), the least parameter scale used by <see cref="ScaleParameter"/>. Default 1e-3; in [0, ∞).</summary>
    public double Eps2 { get; init => field = Declared.Eps2.Validate(value); } = Declared.Eps2.Default;

    /// <summary>d (<c>clip_threshold</c>), the clipping threshold: u ← u / max(1, RMS(u) / d). Default 1.0; in (0, ∞).</summary>
    public double ClipThreshold { get; init => field = Declared.ClipThreshold.Validate(value); } = Declared.ClipThreshold.Default;

    /// <summary>c (<c>decay_rate</c>), the exponent of the second-moment decay β2(t) = 1 − t^c. Default −0.8; in (−∞, 0].</summary>
    public double DecayRate { get; init => field = Declared.DecayRate.Validate(value); } = Declared.DecayRate.Default;

    /// <summary>β1 (<c>beta1</c>), decay of the optional momentum; null (the default) keeps no momentum. In [0, 1).</summary>
    public double? Beta1 { get; init => field = Declared.Beta1.Validate(value); }

    /// <summary>λ (<c>weight_decay</c>), decoupled weight decay p ← p − η·λ·p. Default 0; in [0, ∞).</summary>
    public double WeightDecay { get; init => field = Declared.WeightDecay.Validate(value); } = Declared.WeightDecay.Default;

    /// <summary>Scale the step by max(ε2, RMS(p)) (<c>scale_parameter</c>). Default true.</summary>
    public bool ScaleParameter { get; init; } = Declared.ScaleParameter.Default;

    /// <summary>Use the relative step size min(1e-2, 1/√t) (or min(1e-6·t, 1/√t) with <see cref="WarmupInit"/>) instead of <see cref="LearningRate"/> (<c>relative_step</c>). Default true.</summary>
    public bool RelativeStep { get; init; } = Declared.RelativeStep.Default;

    /// <summary>Warm the relative step size up linearly from 1e-6 (<c>warmup_init</c>). Default false; requires <see cref="RelativeStep"/>.</summary>
    public bool WarmupInit { get; init; } = Declared.WarmupInit.Default;

    internal override void Validate()
    {
        if (LearningRate is not null && RelativeStep)
            throw new ArgumentException(
                $"{nameof(LearningRate)} (lr) cannot be combined with {nameof(RelativeStep)} = true: the relative step sets the step size. " +
                $"Set {nameof(RelativeStep)} = false to use an external learning rate.", nameof(LearningRate));
        if (LearningRate is null && !RelativeStep)
            throw new ArgumentException(
                $"{nameof(LearningRate)} (lr) is required when {nameof(RelativeStep)} = false.", nameof(LearningRate));
        if (WarmupInit && !RelativeStep)
            throw new ArgumentException(
                $"{nameof(WarmupInit)} = true requires {nameof(RelativeStep)} = true.", nameof(WarmupInit));
    }

    /// <summary>
    /// The declarations, apart from the set so that the properties' initializers can use them. Each field is named after
    /// its property, so nameof gives the property's name.
    /// </summary>
    private static class Declared
    {
        public static readonly Hyperparameter<AdafactorOptions, double?> LearningRate = OptionalNumber<AdafactorOptions>("lr", nameof(LearningRate), "η", NonNegative, o => o.LearningRate, (o, v) => o with { LearningRate = v }, label: "lr, η");
        public static readonly Hyperparameter<AdafactorOptions, double> Eps1 = Number<AdafactorOptions>("eps1", nameof(Eps1), "ε1", 1e-30, NonNegative, o => o.Eps1, (o, v) => o with { Eps1 = v }, ("eps", 0));
        public static readonly Hyperparameter<AdafactorOptions, double> Eps2 = Number<AdafactorOptions>("eps2", nameof(Eps2), "ε2", 1e-3, NonNegative, o => o.Eps2, (o, v) => o with { Eps2 = v }, ("eps", 1));
        public static readonly Hyperparameter<AdafactorOptions, double> ClipThreshold = Number<AdafactorOptions>("clip_threshold", nameof(ClipThreshold), "d", 1.0, Positive, o => o.ClipThreshold, (o, v) => o with { ClipThreshold = v });
        public static readonly Hyperparameter<AdafactorOptions, double> DecayRate = Number<AdafactorOptions>("decay_rate", nameof(DecayRate), "c", -0.8, NonPositive, o => o.DecayRate, (o, v) => o with { DecayRate = v }, label: "decay_rate, c");
        public static readonly Hyperparameter<AdafactorOptions, double?> Beta1 = OptionalNumber<AdafactorOptions>("beta1", nameof(Beta1), "β1", UnitInterval, o => o.Beta1, (o, v) => o with { Beta1 = v });
        public static readonly Hyperparameter<AdafactorOptions, double> WeightDecay = Number<AdafactorOptions>("weight_decay", nameof(WeightDecay), "λ", 0, NonNegative, o => o.WeightDecay, (o, v) => o with { WeightDecay = v }, label: "λ, weight_decay");
        public static readonly Hyperparameter<AdafactorOptions, bool> ScaleParameter = Flag<AdafactorOptions>("scale_parameter", nameof(ScaleParameter), true, o => o.ScaleParameter, (o, v) => o with { ScaleParameter = v });
        public static readonly Hyperparameter<AdafactorOptions, bool> RelativeStep = Flag<AdafactorOptions>("relative_step", nameof(RelativeStep), true, o => o.RelativeStep, (o, v) => o with { RelativeStep = v });
        public static readonly Hyperparameter<AdafactorOptions, bool> WarmupInit = Flag<AdafactorOptions>("warmup_init", nameof(WarmupInit), false, o => o.WarmupInit, (o, v) => o with { WarmupInit = v });
    }
}
