namespace CameSharp;

/// <summary>Hyperparameters of <see cref="AdamW"/>, with torch.optim.AdamW's defaults.</summary>
public sealed record AdamWOptions : AdamMomentsOptions, IHyperparameterOptions<AdamWOptions>
{
    private const double DefaultEps = 1e-8;

    /// <summary>Options with torch.optim.AdamW's defaults: η = 1e-3, β = (0.9, 0.999), ε = 1e-8, λ = 1e-2.</summary>
    public AdamWOptions() : base(DefaultEps) { }

    /// <summary>AdamW's hyperparameters as torch.optim's param group holds them: <c>{ lr, betas: [beta1, beta2], eps, weight_decay }</c>.</summary>
    public static HyperparameterSet<AdamWOptions> Hyperparameters { get; } = new("adamw", () => new AdamWOptions(), Declare(DefaultEps));
}
