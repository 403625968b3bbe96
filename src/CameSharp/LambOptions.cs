namespace CameSharp;

/// <summary>Hyperparameters of <see cref="Lamb"/> (You et al., 2019), with apex FusedLAMB's defaults.</summary>
public sealed record LambOptions : AdamMomentsOptions, IHyperparameterOptions<LambOptions>
{
    private const double DefaultEps = 1e-6;

    /// <summary>Options with apex FusedLAMB's defaults: η = 1e-3, β = (0.9, 0.999), ε = 1e-6, λ = 1e-2.</summary>
    public LambOptions() : base(DefaultEps) { }

    /// <summary>LAMB's hyperparameters as apex's param group holds them: <c>{ lr, betas: [beta1, beta2], eps, weight_decay }</c>.</summary>
    public static HyperparameterSet<LambOptions> Hyperparameters { get; } = new("lamb", () => new LambOptions(), Declare(DefaultEps));
}
