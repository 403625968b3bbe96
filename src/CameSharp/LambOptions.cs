using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>Hyperparameters of <see cref="Lamb"/> (You et al., 2019), with apex FusedLAMB's defaults.</summary>
public sealed record LambOptions : OptimizerOptions
{
    /// <summary>Learning rate η (<c>lr</c>). Default 1e-3; in [0, ∞): at 0 the parameters do not move while the state still advances, as in torch.optim (a warmup from 0, a schedule that ends at 0).</summary>
    public double LearningRate { get; init => field = Check.NonNegative(value, nameof(LearningRate), "lr, η"); } = 1e-3;

    /// <summary>β1, decay of the first moment. Default 0.9; in [0, 1).</summary>
    public double Beta1 { get; init => field = Check.UnitInterval(value, nameof(Beta1), "β1"); } = 0.9;

    /// <summary>β2, decay of the second moment. Default 0.999; in [0, 1).</summary>
    public double Beta2 { get; init => field = Check.UnitInterval(value, nameof(Beta2), "β2"); } = 0.999;

    /// <summary>ε, added to the bias-corrected √v. Default 1e-6; in [0, ∞).</summary>
    public double Eps { get; init => field = Check.NonNegative(value, nameof(Eps), "ε"); } = 1e-6;

    /// <summary>λ, weight decay added to the Adam direction before the trust ratio. Default 1e-2; in [0, ∞).</summary>
    public double WeightDecay { get; init => field = Check.NonNegative(value, nameof(WeightDecay), "λ, weight_decay"); } = 1e-2;

    /// <inheritdoc/>
    public override string OptimizerName => "lamb";

    /// <inheritdoc/>
    public override JsonObject ToReference() => new()
    {
        ["lr"] = LearningRate,
        ["betas"] = new JsonArray(Beta1, Beta2),
        ["eps"] = Eps,
        ["weight_decay"] = WeightDecay,
    };

    internal static LambOptions FromReference(JsonObject h)
    {
        var defaults = new LambOptions();
        var betas = Numbers(h, "betas", [defaults.Beta1, defaults.Beta2]);
        return new LambOptions
        {
            LearningRate = Number(h, "lr", defaults.LearningRate),
            Beta1 = betas[0],
            Beta2 = betas[1],
            Eps = Number(h, "eps", defaults.Eps),
            WeightDecay = Number(h, "weight_decay", defaults.WeightDecay),
        };
    }
}
