namespace CameSharp;

/// <summary>
/// LAMB's step for one tensor (You et al., 2019), as apex FusedLAMB takes it: the bias-corrected Adam direction plus
/// λ·θ, scaled by the trust ratio ‖θ‖ / ‖r‖ (1 where either norm is 0). 8 bytes of state per element.
/// </summary>
public sealed class LambRule : AdamMomentsRule<LambOptions>
{
    /// <inheritdoc/>
    public override void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, LambOptions o, long step)
    {
        // m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; r = m̂ / (√v̂ + ε) + λθ, with m̂, v̂ bias-corrected.
        var direction = new LambDirection(
            Correction1: (float)(1 / (1 - Math.Pow(o.Beta1, step))), Correction2: (float)(1 / (1 - Math.Pow(o.Beta2, step))),
            Eps: (float)o.Eps, WeightDecay: (float)o.WeightDecay);
        var (updateSquares, parameterSquares) = k.LambMoments(t.Parameter, t.Gradient, t.Moment("exp_avg", step), t.Moment("exp_avg_sq", step), o.Beta1, o.Beta2, direction);
        // θ ← θ − η · (‖θ‖ / ‖r‖) · r. At η = 0 the parameters stay bitwise as they were.
        if (o.LearningRate != 0)
            k.LambStep(t.Parameter, t.Moment("exp_avg", step), t.Moment("exp_avg_sq", step), direction, o.LearningRate, k.TrustRatio(parameterSquares, updateSquares));
    }
}
