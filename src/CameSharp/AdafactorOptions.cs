using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// Hyperparameters of <see cref="Adafactor"/> (Shazeer &amp; Stern, 2018) with the defaults and rules of the
/// Hugging Face transformers implementation. By default the step size is relative (min(1e-2, 1/√t)) and
/// scaled by the parameter's RMS; for an external learning rate set <see cref="RelativeStep"/> and
/// <see cref="ScaleParameter"/> to false and give <see cref="LearningRate"/>.
/// </summary>
public sealed record AdafactorOptions : OptimizerOptions
{
    /// <summary>
    /// External learning rate η (<c>lr</c>); null (the default) when <see cref="RelativeStep"/> sets it. In [0, ∞). At 0 the
    /// state still advances and, without <see cref="Beta1"/>, the parameters do not move; with it they move by β1·m, since
    /// the momentum holds updates already scaled by η, as in transformers.
    /// </summary>
    public double? LearningRate
    {
        get;
        init => field = value is { } lr ? Check.NonNegative(lr, nameof(LearningRate), "lr, η") : null;
    }

    /// <summary>ε1, added to g² before it is averaged. Default 1e-30; in [0, ∞).</summary>
    public double Eps1 { get; init => field = Check.NonNegative(value, nameof(Eps1), "ε1"); } = 1e-30;

    /// <summary>ε2, the least parameter scale used by <see cref="ScaleParameter"/>. Default 1e-3; in [0, ∞).</summary>
    public double Eps2 { get; init => field = Check.NonNegative(value, nameof(Eps2), "ε2"); } = 1e-3;

    /// <summary>d, the clipping threshold: u ← u / max(1, RMS(u) / d). Default 1.0; in (0, ∞).</summary>
    public double ClipThreshold { get; init => field = Check.Positive(value, nameof(ClipThreshold), "d"); } = 1.0;

    /// <summary>c, the exponent of the second-moment decay β2(t) = 1 − t^c. Default −0.8; in (−∞, 0].</summary>
    public double DecayRate { get; init => field = Check.NonPositive(value, nameof(DecayRate), "decay_rate, c"); } = -0.8;

    /// <summary>β1, decay of the optional momentum; null (the default) keeps no momentum. In [0, 1).</summary>
    public double? Beta1
    {
        get;
        init => field = value is { } b ? Check.UnitInterval(b, nameof(Beta1), "β1") : null;
    }

    /// <summary>λ, decoupled weight decay p ← p − η·λ·p. Default 0; in [0, ∞).</summary>
    public double WeightDecay { get; init => field = Check.NonNegative(value, nameof(WeightDecay), "λ, weight_decay"); }

    /// <summary>Scale the step by max(ε2, RMS(p)). Default true.</summary>
    public bool ScaleParameter { get; init; } = true;

    /// <summary>Use the relative step size min(1e-2, 1/√t) (or min(1e-6·t, 1/√t) with <see cref="WarmupInit"/>) instead of <see cref="LearningRate"/>. Default true.</summary>
    public bool RelativeStep { get; init; } = true;

    /// <summary>Warm the relative step size up linearly from 1e-6. Default false; requires <see cref="RelativeStep"/>.</summary>
    public bool WarmupInit { get; init; }

    /// <inheritdoc/>
    public override string OptimizerName => "adafactor";

    /// <inheritdoc/>
    public override JsonObject ToReference() => new()
    {
        ["lr"] = LearningRate,
        ["eps"] = new JsonArray(Eps1, Eps2),
        ["clip_threshold"] = ClipThreshold,
        ["decay_rate"] = DecayRate,
        ["beta1"] = Beta1,
        ["weight_decay"] = WeightDecay,
        ["scale_parameter"] = ScaleParameter,
        ["relative_step"] = RelativeStep,
        ["warmup_init"] = WarmupInit,
    };

    internal static AdafactorOptions FromReference(JsonObject h)
    {
        var defaults = new AdafactorOptions();
        var eps = Numbers(h, "eps", [defaults.Eps1, defaults.Eps2]);
        return new AdafactorOptions
        {
            LearningRate = OptionalNumber(h, "lr"),
            Eps1 = eps[0],
            Eps2 = eps[1],
            ClipThreshold = Number(h, "clip_threshold", defaults.ClipThreshold),
            DecayRate = Number(h, "decay_rate", defaults.DecayRate),
            Beta1 = OptionalNumber(h, "beta1"),
            WeightDecay = Number(h, "weight_decay", defaults.WeightDecay),
            ScaleParameter = Flag(h, "scale_parameter", defaults.ScaleParameter),
            RelativeStep = Flag(h, "relative_step", defaults.RelativeStep),
            WarmupInit = Flag(h, "warmup_init", defaults.WarmupInit),
        };
    }

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
}
