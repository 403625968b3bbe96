namespace CameSharp;

/// <summary>
/// LAMB (You et al., 2019) as apex FusedLAMB; the algorithm is <see cref="LambRule"/>: the bias-corrected Adam direction
/// plus λ·p, scaled per parameter by the trust ratio ‖p‖ / ‖r‖ (1 where either norm is 0). 8 bytes of state per element.
/// </summary>
public sealed class Lamb : Optimizer<LambOptions>
{
    /// <summary>Creates LAMB over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Lamb(IEnumerable<Parameter> parameters, LambOptions options)
        : this([new ParamGroup<LambOptions>(parameters, options)])
    {
    }

    /// <summary>Creates LAMB over several param groups, each with its own options.</summary>
    public Lamb(IEnumerable<ParamGroup<LambOptions>> paramGroups) : base(paramGroups, new LambRule())
    {
    }

    /// <summary>The trust ratio ‖p‖ / ‖r‖, or 1 where either norm is 0.</summary>
    public static double TrustRatio(double parameterNorm, double updateNorm) =>
        parameterNorm > 0 && updateNorm > 0 ? parameterNorm / updateNorm : 1.0;
}
