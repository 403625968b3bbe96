using static CameSharp.Hyperparameter;
using static CameSharp.HyperparameterRange;

namespace CameSharp;

/// <summary>
/// The hyperparameters <see cref="AdamWOptions"/> and <see cref="LambOptions"/> share: Adam's two moments, their ε and a
/// weight decay, under the references' param group <c>{ lr, betas: [beta1, beta2], eps, weight_decay }</c>. The two
/// differ in ε's default and in how each applies the weight decay.
/// </summary>
public abstract record AdamMomentsOptions : OptimizerOptions
{
    private protected AdamMomentsOptions(double eps) => Eps = eps;

    /// <summary>Learning rate η (<c>lr</c>). Default 1e-3; in [0, ∞): at 0 the parameters do not move while the state still advances, as in torch.optim (a warmup from 0, a schedule that ends at 0).</summary>
    public double LearningRate { get; init => field = Declared.LearningRate.Validate(value); } = Declared.LearningRate.Default;

    /// <summary>β1 (<c>beta1</c>), decay of the first moment. Default 0.9; in [0, 1).</summary>
    public double Beta1 { get; init => field = Declared.Beta1.Validate(value); } = Declared.Beta1.Default;

    /// <summary>β2 (<c>beta2</c>), decay of the second moment. Default 0.999; in [0, 1).</summary>
    public double Beta2 { get; init => field = Declared.Beta2.Validate(value); } = Declared.Beta2.Default;

    /// <summary>ε (<c>eps</c>), added to the bias-corrected √v. Default 1e-8 for AdamW (torch.optim), 1e-6 for LAMB (apex); in [0, ∞).</summary>
    public double Eps { get; init => field = Declared.Eps.Validate(value); }

    /// <summary>
    /// λ (<c>weight_decay</c>). Default 1e-2; in [0, ∞). AdamW decays decoupled, p ← p·(1 − η·λ); LAMB adds λ·p to the
    /// Adam direction before the trust ratio.
    /// </summary>
    public double WeightDecay { get; init => field = Declared.WeightDecay.Validate(value); } = Declared.WeightDecay.Default;

    /// <summary>The declarations in the references' order, ε with the default <paramref name="eps"/>.</summary>
    private protected static Hyperparameter[] Declare(double eps) =>
        [Declared.LearningRate, Declared.Beta1, Declared.Beta2, Declared.Eps.WithDefault(eps), Declared.WeightDecay];

    /// <summary>The declarations. Each field is named after its property, so nameof gives the property's name.</summary>
    private static class Declared
    {
        public static readonly Hyperparameter<AdamMomentsOptions, double> LearningRate = Number<AdamMomentsOptions>("lr", nameof(LearningRate), "η", 1e-3, NonNegative, o => o.LearningRate, (o, v) => o with { LearningRate = v }, label: "lr, η");
        public static readonly Hyperparameter<AdamMomentsOptions, double> Beta1 = Number<AdamMomentsOptions>("beta1", nameof(Beta1), "β1", 0.9, UnitInterval, o => o.Beta1, (o, v) => o with { Beta1 = v }, ("betas", 0));
        public static readonly Hyperparameter<AdamMomentsOptions, double> Beta2 = Number<AdamMomentsOptions>("beta2", nameof(Beta2), "β2", 0.999, UnitInterval, o => o.Beta2, (o, v) => o with { Beta2 = v }, ("betas", 1));
        /// <summary>With torch.optim.AdamW's default; <see cref="Declare"/> gives each optimizer its own.</summary>
        public static readonly Hyperparameter<AdamMomentsOptions, double> Eps = Number<AdamMomentsOptions>("eps", nameof(Eps), "ε", 1e-8, NonNegative, o => o.Eps, (o, v) => o with { Eps = v });
        public static readonly Hyperparameter<AdamMomentsOptions, double> WeightDecay = Number<AdamMomentsOptions>("weight_decay", nameof(WeightDecay), "λ", 1e-2, NonNegative, o => o.WeightDecay, (o, v) => o with { WeightDecay = v }, label: "λ, weight_decay");
    }
}
