namespace CameSharp;

/// <summary>
/// The per-tensor scalars through which <see cref="CameOptions.BiasCorrection"/> acts at step t: every correction is a
/// division of a statistic by 1 − β^t where it is used, so in the fused passes it is a scalar, never extra traffic.
/// Without bias correction all three are 1 and the step is the official one.
/// </summary>
/// <param name="UpdateScale">
/// Multiplies u = g / √v̂ before the RMS clip: dividing v̂'s column EMA (or a 1-D tensor's full v) by 1 − β2^t
/// multiplies u by √(1 − β2^t).
/// </param>
/// <param name="MomentumScale">Multiplies m in the step: 1 / (1 − β1^t).</param>
/// <param name="ConfidenceScale">
/// Multiplies the rsqrt of the factored instability in the step: dividing its column EMA by 1 − β3^t multiplies
/// rsqrt(S) by √(1 − β3^t). A 1-D tensor has no confidence step and does not use it.
/// </param>
internal readonly record struct CameBiasCorrection(double UpdateScale, double MomentumScale, double ConfidenceScale)
{
    /// <summary>The scalars of step <paramref name="step"/> (1-based) under <paramref name="options"/>.</summary>
    public static CameBiasCorrection At(CameOptions options, long step) => options.BiasCorrection
        ? new(Math.Sqrt(1 - Math.Pow(options.Beta2, step)), 1 / (1 - Math.Pow(options.Beta1, step)), Math.Sqrt(1 - Math.Pow(options.Beta3, step)))
        : new(1, 1, 1);
}
