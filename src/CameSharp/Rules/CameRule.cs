namespace CameSharp;

/// <summary>
/// CAME's step for one tensor (Luo et al., ACL 2023, Algorithm 1, as the official <c>came_pytorch</c> runs it).
/// A tensor of two or more dimensions is factored over its last two (batched over the rest): its second moment v and
/// its instability S are each a row and a column EMA. A 1-D tensor keeps v in full and, as in the official code, takes
/// no confidence step. With <see cref="CameOptions.BiasCorrection"/> each statistic is divided by 1 − β^t where it is
/// used (three scalars, <see cref="CameBiasCorrection"/>); the stored EMAs are the official ones either way.
/// </summary>
public sealed class CameRule : UpdateRule<CameOptions>
{
    /// <inheritdoc/>
    /// <remarks>
    /// exp_avg (m), then exp_avg_sq_row/_col (v) and exp_avg_res_row/_col (S), each with its scratch factors; a 1-D
    /// tensor: exp_avg and exp_avg_sq.
    /// </remarks>
    public override IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, CameOptions options) =>
        shape.Length >= 2
            ? [new("exp_avg", shape.ToArray()), .. StateTensorSpec.FactoredStatistic("exp_avg_sq", shape), .. StateTensorSpec.FactoredStatistic("exp_avg_res", shape)]
            : [new("exp_avg", shape.ToArray()), new("exp_avg_sq", shape.ToArray())];

    /// <inheritdoc/>
    public override bool Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, CameOptions o, long step)
    {
        if (!t.IsFactored) return k.IsUsable(t.Gradient);
        // r, c: this step's row and column means of g² + ε1; and Σ u² of the update u = g / √v they will give.
        var v = t.Factored("exp_avg_sq");
        t.Pending = k.FactoredSquareMeans(t.Gradient, v, (float)o.Eps1, o.Beta2);
        return k.MeansAreFinite(v);
    }

    /// <inheritdoc/>
    public override void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, CameOptions o, long step)
    {
        var correction = CameBiasCorrection.At(o, step);
        float lr = (float)o.LearningRate, decay = (float)o.WeightDecay;
        var m = t["exp_avg"];
        if (t.IsFactored)
        {
            var v = t.Factored("exp_avg_sq");
            var instability = t.Factored("exp_avg_res");
            // v_t = r_t c_t / 1ᵀr_t, with r_t, c_t the β2-EMAs of the means taken in Inspect.
            k.CommitFactored(v, o.Beta2);
            // û_t = u_t / max(1, RMS(u_t) / d), u_t = g / √v_t.
            var clip = Clip(k, t.Pending, t.Length, o, correction);
            // m_t = β1 m + (1 − β1) û_t; U_t = (û_t − m_t)² + ε2 into R_t, C_t (β3-EMAs): S_t = R_t C_t / 1ᵀR_t.
            k.CameMomentum(t.Gradient, v, clip, m, o.Beta1, (float)o.Eps2, instability);
            k.CommitFactored(instability, o.Beta3);
            // θ_t = θ − ηλθ − η m_t / √S_t. At η = 0 the parameters stay bitwise as they were.
            if (o.LearningRate != 0)
                k.ConfidenceStep(t.Parameter, m, instability, lr, decay, (float)(o.LearningRate * correction.MomentumScale * correction.ConfidenceScale));
        }
        else
        {
            var v = t["exp_avg_sq"];
            var squares = k.SecondMoment(t.Gradient, v, o.Beta2, (float)o.Eps1);
            var clip = Clip(k, squares, t.Length, o, correction);
            k.MomentumStep(t.Parameter, t.Gradient, v, clip, m, o.Beta1, lr, decay, (float)(o.LearningRate * correction.MomentumScale),
                moveParameters: o.LearningRate != 0);
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
