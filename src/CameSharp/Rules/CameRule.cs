namespace CameSharp;

/// <summary>
/// CAME's step for one tensor (Luo et al., ACL 2023, Algorithm 1, as the official <c>came_pytorch</c> runs it).
/// A tensor of two or more dimensions is factored over its last two (batched over the rest): its second moment v and
/// its instability S are each a row and a column EMA. A 1-D tensor keeps v in full and, as in the official code, takes
/// no confidence step. With <see cref="CameOptions.BiasCorrection"/> each statistic is divided by 1 − β^t where it is
/// used (three scalars, <see cref="CameBiasCorrection"/>); the stored EMAs are the official ones either way.
/// </summary>
/// <remarks>
/// Algorithm 1 for a factored tensor, and the pass of each line (three over memory: 4 + 12 + 12 bytes a parameter):
/// <code>
/// 1  r_t = β2 r + (1 − β2) mean_j(g² + ε1);  c_t likewise over rows        Inspect: FactoredSquareMeans, CommitFactored
///    v_t = r_t c_t / 1ᵀr_t;  u_t = g / √v_t;  û_t = u_t / max(1, RMS(u_t) / d)   (Σu_t² from pass 1: ClipScale)
/// 2  m_t = β1 m + (1 − β1) û_t                                             CameMomentum
///    U_t = (û_t − m_t)² + ε2;  R_t, C_t = β3-EMAs of U_t's means;  S_t = R_t C_t / 1ᵀR_t   (CommitFactored)
/// 3  θ_t = θ − ηλθ − η m_t / √S_t                                          ConfidenceStep
/// </code>
/// Pass 1 reads only g, so that every gradient of a step is checked before anything changes.
/// </remarks>
public sealed class CameRule : UpdateRule<CameOptions>
{
    /// <inheritdoc/>
    /// <remarks>
    /// exp_avg (m), then exp_avg_sq_row/_col (v) and exp_avg_res_row/_col (S), each with its scratch factors; a 1-D
    /// tensor: exp_avg and exp_avg_sq.
    /// </remarks>
    public override IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, CameOptions options, StateFormat format = StateFormat.Float32) =>
        shape.Length >= 2
            ? [.. StateTensorSpec.FullSize("exp_avg", shape, format, signed: true, rowLength: Math.Max(1, shape[^1])),
                .. StateTensorSpec.FactoredStatistic("exp_avg_sq", shape), .. StateTensorSpec.FactoredStatistic("exp_avg_res", shape)]
            : [.. StateTensorSpec.FullSize("exp_avg", shape, format, signed: true, rowLength: Math.Max(1, shape.Length == 0 ? 1 : shape[0])),
                new("exp_avg_sq", shape.ToArray())];

    /// <inheritdoc/>
    public override TScalar Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, CameOptions o, long step)
    {
        if (!t.IsFactored) return k.IsUsable(t.Gradient);
        // Pass 1: the means of g² + ε1 that r_t and c_t will take in, and Σ u_t² of the update they will give.
        var v = t.Factored("exp_avg_sq");
        t.Pending = k.FactoredSquareMeans(t.Gradient, v, eps1: (float)o.Eps1, beta2: o.Beta2);
        return k.MeansAreFinite(v);
    }

    /// <inheritdoc/>
    public override void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, CameOptions o, long step)
    {
        var correction = CameBiasCorrection.At(o, step);
        float lr = (float)o.LearningRate, weightDecay = (float)o.WeightDecay;
        var m = t.Moment("exp_avg", step);
        if (t.IsFactored)
        {
            var v = t.Factored("exp_avg_sq");
            var instability = t.Factored("exp_avg_res");
            k.CommitFactored(v, o.Beta2);                                       // r_t, c_t: v_t = r_t c_t / 1ᵀr_t
            var clip = Clip(k, t.Pending, t.Length, o, correction);             // û_t = clip · g / √v_t
            k.CameMomentum(t.Gradient, v, clip, m, beta1: o.Beta1, eps2: (float)o.Eps2, instability); // pass 2: m_t; U_t's means
            k.CommitFactored(instability, o.Beta3);                             // R_t, C_t: S_t = R_t C_t / 1ᵀR_t
            // Pass 3: θ_t = θ − ηλθ − η m_t / √S_t. At η = 0 the parameters stay bitwise as they were.
            if (o.LearningRate != 0)
                k.ConfidenceStep(t.Parameter, m, instability, lr, weightDecay,
                    stepSize: (float)(o.LearningRate * correction.MomentumScale * correction.ConfidenceScale));
        }
        else
        {
            // A vector: v_t = β2 v + (1 − β2)(g² + ε1) in full; m_t = β1 m + (1 − β1) û_t; θ_t = θ − ηλθ − η m_t.
            var v = t["exp_avg_sq"];
            var squares = k.SecondMoment(t.Gradient, v, o.Beta2, (float)o.Eps1);
            var clip = Clip(k, squares, t.Length, o, correction);
            k.MomentumStep(t.Parameter, t.Gradient, v, clip, m, o.Beta1, lr, weightDecay,
                stepSize: (float)(o.LearningRate * correction.MomentumScale), moveParameters: o.LearningRate != 0);
        }
    }

    /// <summary>
    /// The factor that turns the raw u = g / √v into the clipped û: with bias correction u is first scaled by
    /// √(1 − β2^t), and the clip sees the scaled u.
    /// </summary>
    private static TScalar Clip<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TScalar rawSquares, long count, CameOptions o,
        CameBiasCorrection correction)
    {
        double s = correction.UpdateScale;
        return s == 1
            ? k.ClipScale(rawSquares, count, o.ClipThreshold)
            : k.Multiply(k.ClipScale(k.Multiply(rawSquares, k.Scalar(s * s)), count, o.ClipThreshold), k.Scalar(s));
    }
}
