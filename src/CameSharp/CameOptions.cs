using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// Hyperparameters of <see cref="Came"/>, named after the paper (Luo et al., ACL 2023, Algorithm 1) with the
/// official implementation's defaults. The authors advise a learning rate of 0.5–0.9× AdamW's and β3 &gt; β2; in runs of
/// thousands rather than hundreds of thousands of steps that advice holds with <see cref="BiasCorrection"/> on, while the
/// official algorithm wants a rate several times smaller.
/// </summary>
public sealed record CameOptions : OptimizerOptions
{
    /// <summary>Learning rate η (<c>lr</c>). Required; in [0, ∞): at 0 the parameters do not move while the state still advances, as in torch.optim (a warmup from 0, a schedule that ends at 0).</summary>
    public required double LearningRate { get; init => field = Check.NonNegative(value, nameof(LearningRate), "lr, η"); }

    /// <summary>β1, decay of the momentum (first moment) m. Default 0.9; in [0, 1).</summary>
    public double Beta1 { get; init => field = Check.UnitInterval(value, nameof(Beta1), "β1"); } = 0.9;

    /// <summary>β2, decay of the factored second moment of g² + ε1. Default 0.999; in [0, 1).</summary>
    public double Beta2 { get; init => field = Check.UnitInterval(value, nameof(Beta2), "β2"); } = 0.999;

    /// <summary>
    /// β3, decay of the factored instability (u − m)² + ε2 that drives the confidence-guided step. Default 0.9999;
    /// in [0, 1). The authors suggest 0.9995–0.99995 with β2 = 0.999, or 0.99–0.999 with β2 = 0.95.
    /// </summary>
    public double Beta3 { get; init => field = Check.UnitInterval(value, nameof(Beta3), "β3"); } = 0.9999;

    /// <summary>ε1, added to g² before it is averaged. Default 1e-30; in [0, ∞).</summary>
    public double Eps1 { get; init => field = Check.NonNegative(value, nameof(Eps1), "ε1"); } = 1e-30;

    /// <summary>ε2, added to the instability (u − m)² before it is averaged. Default 1e-16; in [0, ∞).</summary>
    public double Eps2 { get; init => field = Check.NonNegative(value, nameof(Eps2), "ε2"); } = 1e-16;

    /// <summary>d, the clipping threshold: u ← u / max(1, RMS(u) / d). Default 1.0; in (0, ∞).</summary>
    public double ClipThreshold { get; init => field = Check.Positive(value, nameof(ClipThreshold), "d"); } = 1.0;

    /// <summary>λ, decoupled weight decay p ← p − η·λ·p, applied before the update. Default 0; in [0, ∞).</summary>
    public double WeightDecay { get; init => field = Check.NonNegative(value, nameof(WeightDecay), "λ, weight_decay"); }

    /// <summary>
    /// Adam-style bias correction (<c>bias_correction</c>; not in the official code). Default false: exactly the
    /// official algorithm. When true, with t the step, the statistics are divided by 1 − β^t where they are used,
    /// never where they are stored (the state keeps the official names and shapes): the second moment's column EMA
    /// by 1 − β2^t (a 1-D tensor's full second moment likewise), the momentum by 1 − β1^t in the step, and the
    /// instability's column EMA by 1 − β3^t. The official EMAs hold only 1 − β3^t of their weight, which inflates
    /// early steps (11× η at step 1 for a constant gradient); corrected, CAME's best learning rate is close to AdamW's.
    /// </summary>
    public bool BiasCorrection { get; init; }

    /// <inheritdoc/>
    public override string OptimizerName => "came";

    /// <inheritdoc/>
    public override JsonObject ToReference() => new()
    {
        ["lr"] = LearningRate,
        ["betas"] = new JsonArray(Beta1, Beta2, Beta3),
        ["eps"] = new JsonArray(Eps1, Eps2),
        ["clip_threshold"] = ClipThreshold,
        ["weight_decay"] = WeightDecay,
        ["bias_correction"] = BiasCorrection,
    };

    internal static CameOptions FromReference(JsonObject h)
    {
        var defaults = new CameOptions { LearningRate = 1 };
        var betas = Numbers(h, "betas", [defaults.Beta1, defaults.Beta2, defaults.Beta3]);
        var eps = Numbers(h, "eps", [defaults.Eps1, defaults.Eps2]);
        return new CameOptions
        {
            LearningRate = h["lr"] is { } lr ? ToDouble(lr, "lr") : throw new ArgumentException("lr is required for came.", "lr"),
            Beta1 = betas[0],
            Beta2 = betas[1],
            Beta3 = betas[2],
            Eps1 = eps[0],
            Eps2 = eps[1],
            ClipThreshold = Number(h, "clip_threshold", defaults.ClipThreshold),
            WeightDecay = Number(h, "weight_decay", defaults.WeightDecay),
            BiasCorrection = Flag(h, "bias_correction", defaults.BiasCorrection),
        };
    }
}
