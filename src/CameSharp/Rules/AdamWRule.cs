namespace CameSharp;

/// <summary>
/// AdamW's step for one tensor (Loshchilov &amp; Hutter, 2019), exactly as torch.optim.AdamW takes it: decoupled decay,
/// bias correction, ε outside the square root. One fused pass; 8 bytes of state per element.
/// </summary>
public sealed class AdamWRule : AdamMomentsRule<AdamWOptions>
{
    /// <inheritdoc/>
    public override void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, AdamWOptions o, long step)
    {
        // θ ← θ(1 − ηλ); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← θ − η/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε).
        // At η = 0 the moments advance and θ is not written (the formula would turn −0 into +0, or 0·∞ into NaN).
        k.AdamWStep(t.Parameter, t.Gradient, t.Moment("exp_avg", step), t.Moment("exp_avg_sq", step),
            decayFactor: (float)(1 - o.LearningRate * o.WeightDecay), o.Beta1, o.Beta2,
            stepSize: (float)(o.LearningRate / (1 - Math.Pow(o.Beta1, step))),
            correction2Sqrt: (float)Math.Sqrt(1 - Math.Pow(o.Beta2, step)), eps: (float)o.Eps,
            moveParameters: o.LearningRate != 0);
    }
}
