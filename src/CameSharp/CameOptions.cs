using static CameSharp.Hyperparameter;
using static CameSharp.HyperparameterRange;

namespace CameSharp;

/// <summary>
/// Hyperparameters of <see cref="Came"/>, named after the paper (Luo et al., ACL 2023, Algorithm 1) with the
/// official implementation's defaults. The authors advise a learning rate of 0.5–0.9× AdamW's and β3 &gt; β2; in runs of
/// thousands rather than hundreds of thousands of steps that advice holds with <see cref="BiasCorrection"/> on, while the
/// official algorithm wants a rate several times smaller.
/// </summary>
public sealed record CameOptions : OptimizerOptions, IHyperparameterOptions<CameOptions>
{
    /// <summary>
    /// CAME's hyperparameters as the official code's param group holds them:
    /// <c>{ lr, betas: [beta1, beta2, beta3], eps: [eps1, eps2], clip_threshold, weight_decay, bias_correction }</c>.
    /// </summary>
    public static HyperparameterSet<CameOptions> Hyperparameters { get; } = new("came", () => new CameOptions { LearningRate = 0 },
        Declared.LearningRate, Declared.Beta1, Declared.Beta2, Declared.Beta3, Declared.Eps1, Declared.Eps2,
        Declared.ClipThreshold, Declared.WeightDecay, Declared.BiasCorrection);

    /// <summary>Learning rate η (<c>lr</c>). Required; in [0, ∞): at 0 the parameters do not move while the state still advances, as in torch.optim (a warmup from 0, a schedule that ends at 0).</summary>
    public required double LearningRate { get; init => field = Declared.LearningRate.Validate(value); }

    /// <summary>β1 (<c>beta1</c>), decay of the momentum (first moment) m. Default 0.9; in [0, 1).</summary>
    public double Beta1 { get; init => field = Declared.Beta1.Validate(value); } = Declared.Beta1.Default;

    /// <summary>β2 (<c>beta2</c>), decay of the factored second moment of g² + ε1. Default 0.999; in [0, 1).</summary>
    public double Beta2 { get; init => field = Declared.Beta2.Validate(value); } = Declared.Beta2.Default;

    /// <summary>
    /// β3 (<c>beta3</c>), decay of the factored instability (u − m)² + ε2 that drives the confidence-guided step. Default
    /// 0.9999; in [0, 1). The authors suggest 0.9995–0.99995 with β2 = 0.999, or 0.99–0.999 with β2 = 0.95.
    /// </summary>
    public double Beta3 { get; init => field = Declared.Beta3.Validate(value); } = Declared.Beta3.Default;

    /// <summary>ε1 (<c>eps1</c>), added to g² before it is averaged. Default 1e-30; in [0, ∞).</summary>
    public double Eps1 { get; init => field = Declared.Eps1.Validate(value); } = Declared.Eps1.Default;

    /// <summary>ε2 (<c>eps2</c>), added to the instability (u − m)² before it is averaged. Default 1e-16; in [0, ∞).</summary>
    public double Eps2 { get; init => field = Declared.Eps2.Validate(value); } = Declared.Eps2.Default;

    /// <summary>d (<c>clip_threshold</c>), the clipping threshold: u ← u / max(1, RMS(u) / d). Default 1.0; in (0, ∞).</summary>
    public double ClipThreshold { get; init => field = Declared.ClipThreshold.Validate(value); } = Declared.ClipThreshold.Default;

    /// <summary>λ (<c>weight_decay</c>), decoupled weight decay p ← p − η·λ·p, applied before the update. Default 0; in [0, ∞).</summary>
    public double WeightDecay { get; init => field = Declared.WeightDecay.Validate(value); } = Declared.WeightDecay.Default;

    /// <summary>
    /// Adam-style bias correction (<c>bias_correction</c>; not in the official code). Default false: exactly the
    /// official algorithm. When true, with t the step, the statistics are divided by 1 − β^t where they are used,
    /// never where they are stored (the state keeps the official names and shapes): the second moment's column EMA
    /// by 1 − β2^t (a 1-D tensor's full second moment likewise), the momentum by 1 − β1^t in the step, and the
    /// instability's column EMA by 1 − β3^t. The official EMAs hold only 1 − β3^t of their weight, which inflates
    /// early steps (11× η at step 1 for a constant gradient); corrected, CAME's best learning rate is close to AdamW's.
    /// </summary>
    public bool BiasCorrection { get; init; } = Declared.BiasCorrection.Default;

    /// <summary>
    /// The declarations, apart from the set so that the properties' initializers can use them. Each field is named after
    /// its property, so nameof gives the property's name.
    /// </summary>
    private static class Declared
    {
        public static readonly Hyperparameter<CameOptions, double> LearningRate = RequiredNumber<CameOptions>("lr", nameof(LearningRate), "η", NonNegative, o => o.LearningRate, (o, v) => o with { LearningRate = v }, label: "lr, η");
        public static readonly Hyperparameter<CameOptions, double> Beta1 = Number<CameOptions>("beta1", nameof(Beta1), "β1", 0.9, UnitInterval, o => o.Beta1, (o, v) => o with { Beta1 = v }, ("betas", 0));
        public static readonly Hyperparameter<CameOptions, double> Beta2 = Number<CameOptions>("beta2", nameof(Beta2), "β2", 0.999, UnitInterval, o => o.Beta2, (o, v) => o with { Beta2 = v }, ("betas", 1));
        public static readonly Hyperparameter<CameOptions, double> Beta3 = Number<CameOptions>("beta3", nameof(Beta3), "β3", 0.9999, UnitInterval, o => o.Beta3, (o, v) => o with { Beta3 = v }, ("betas", 2));
        public static readonly Hyperparameter<CameOptions, double> Eps1 = Number<CameOptions>("eps1", nameof(Eps1), "ε1", 1e-30, NonNegative, o => o.Eps1, (o, v) => o with { Eps1 = v }, ("eps", 0));
        public static readonly Hyperparameter<CameOptions, double> Eps2 = Number<CameOptions>("eps2", nameof(Eps2), "ε2", 1e-16, NonNegative, o => o.Eps2, (o, v) => o with { Eps2 = v }, ("eps", 1));
        public static readonly Hyperparameter<CameOptions, double> ClipThreshold = Number<CameOptions>("clip_threshold", nameof(ClipThreshold), "d", 1.0, Positive, o => o.ClipThreshold, (o, v) => o with { ClipThreshold = v });
        public static readonly Hyperparameter<CameOptions, double> WeightDecay = Number<CameOptions>("weight_decay", nameof(WeightDecay), "λ", 0, NonNegative, o => o.WeightDecay, (o, v) => o with { WeightDecay = v }, label: "λ, weight_decay");
        public static readonly Hyperparameter<CameOptions, bool> BiasCorrection = Flag<CameOptions>("bias_correction", nameof(BiasCorrection), false, o => o.BiasCorrection, (o, v) => o with { BiasCorrection = v });
    }
}
