namespace CameSharp;

/// <summary>
/// A backend: the passes that the update rules (<see cref="CameRule"/>, <see cref="AdafactorRule"/>,
/// <see cref="AdamWRule"/>, <see cref="LambRule"/>) are written in, run on tensors the backend can address.
/// A rule states the algorithm once; a backend states how each pass runs (the CPU kernels, torch ops, GPU
/// kernels). Each pass is named after what it computes and reads and writes only the tensors it is given.
/// </summary>
/// <typeparam name="TTensor">A float32 tensor as the backend addresses it (CPU: <see cref="Memory{T}"/>).</typeparam>
/// <typeparam name="TScalar">
/// A scalar that one pass computes and a later pass uses (a sum of squares, a clip factor). It stays where the backend
/// computed it (a <see cref="double"/> on the CPU, a 0-d tensor on a device), so a step need not wait on a device per tensor.
/// </typeparam>
/// <remarks>
/// <para>
/// A full-size state (m, and AdamW's and LAMB's v) comes as a <see cref="Moment{TTensor}"/>: float32, or 8-bit codes
/// that the pass decodes, updates and encodes block by block in the same sweep. The update a pass computes is the
/// float32 one on the decoded values; what it stores is that result encoded.
/// </para>
/// <para>
/// Every pass takes β and (1 − β) in the reference's arithmetic: β rounded to float32, 1 − β formed in double and then
/// rounded (as torch does with its <c>alpha</c>). Passes are deterministic: the same inputs give bitwise the same outputs.
/// </para>
/// </remarks>
public interface IKernels<TTensor, TScalar>
{
    /// <summary>Prepares any scratch a tensor of <paramref name="shape"/> will need, so that steps do not allocate.</summary>
    void Reserve(ReadOnlySpan<int> shape);

    /// <summary>
    /// Marks the start of a step, before its first <c>Inspect</c>: scalars of earlier steps are no longer used, so a
    /// backend that keeps scalars in slots of its own may reuse them.
    /// </summary>
    void BeginStep();

    /// <summary>
    /// A verdict, 1 when every element of <paramref name="gradient"/> is finite and so is its square in float32, else 0.
    /// Verdicts stay with the backend until <see cref="FirstRefused"/> reads them all at once.
    /// </summary>
    TScalar IsUsable(TTensor gradient);

    /// <summary>
    /// Reads g and v's EMAs only: this step's row and column means of g² + ε1 into <paramref name="v"/>'s scratch, and
    /// Σ u² of the update u = g / √v̂ that they give once committed with <paramref name="beta2"/> (v̂ being rank 1, the sum
    /// is known before v̂ is formed). Non-finite means mean an unusable gradient (<see cref="MeansAreFinite"/>).
    /// </summary>
    TScalar FactoredSquareMeans(TTensor gradient, Factored<TTensor> v, float eps1, double beta2);

    /// <summary>A verdict, 1 when every mean in <paramref name="x"/>'s scratch (before <see cref="CommitFactored"/>) is finite, else 0.</summary>
    TScalar MeansAreFinite(Factored<TTensor> x);

    /// <summary>
    /// The index of the first verdict that is 0, or −1 when all are 1. The one place a step reads verdicts on the host:
    /// a device backend waits here once a step, not once a tensor.
    /// </summary>
    int FirstRefused(ReadOnlySpan<TScalar> verdicts);

    /// <summary>
    /// Folds this step's means into the EMAs, row ← β·row + (1 − β)·means (likewise the column), then leaves in the
    /// scratch the factors of the rank-1 estimate's inverse square root: rsqrt(row_i / mean(row)) and rsqrt(col_j).
    /// </summary>
    void CommitFactored(Factored<TTensor> x, double beta);

    /// <summary>A full second moment (1-D tensors): v ← β2·v + (1 − β2)(g² + ε1); returns Σ (g / √v)².</summary>
    TScalar SecondMoment(TTensor gradient, TTensor v, double beta2, float eps1);

    /// <summary>The RMS clip's factor 1 / max(1, √(Σu² / n) / d), from Σu² over <paramref name="count"/> elements.</summary>
    TScalar ClipScale(TScalar updateSquares, long count, double threshold);

    /// <summary>
    /// CAME's momentum and instability, fused: û = clip · g / √v̂ (v's factors, after commit), m ← β1·m + (1 − β1)·û,
    /// and this step's row and column means of (û − m)² + ε2 into <paramref name="instability"/>'s scratch.
    /// </summary>
    void CameMomentum(TTensor gradient, Factored<TTensor> v, TScalar clip, Moment<TTensor> m, double beta1, float eps2, Factored<TTensor> instability);

    /// <summary>CAME's step: p ← p − η·λ·p − α · m / √Ŝ, Ŝ the committed instability; α the step size.</summary>
    void ConfidenceStep(TTensor parameter, Moment<TTensor> m, Factored<TTensor> instability, float lr, float weightDecay, float stepSize);

    /// <summary>
    /// CAME on a 1-D tensor (no confidence step, as in the official code): m ← β1·m + (1 − β1)·clip·g / √v, then, when
    /// <paramref name="moveParameters"/>, p ← p − η·λ·p − α·m.
    /// </summary>
    void MomentumStep(TTensor parameter, TTensor gradient, TTensor v, TScalar clip, Moment<TTensor> m, double beta1, float lr, float weightDecay,
        float stepSize, bool moveParameters);

    /// <summary>
    /// Adafactor's step: u = scale · g / √v̂ (factored v after commit, or the full v of a 1-D tensor); with
    /// <paramref name="momentum"/>, m ← β1·m + (1 − β1)·u and u = m; then p ← p − decay·p − u (decay = η·λ).
    /// </summary>
    void AdafactorStep(TTensor parameter, TTensor gradient, Factored<TTensor> v, TScalar scale, bool momentum, Moment<TTensor> m, double beta1,
        TScalar decay);

    /// <inheritdoc cref="AdafactorStep(TTensor, TTensor, Factored{TTensor}, TScalar, bool, Moment{TTensor}, double, TScalar)"/>
    void AdafactorStep(TTensor parameter, TTensor gradient, TTensor v, TScalar scale, bool momentum, Moment<TTensor> m, double beta1, TScalar decay);

    /// <summary>RMS(x) = ‖x‖ / √n.</summary>
    TScalar Rms(TTensor x);

    /// <summary>A host value as a scalar of this backend.</summary>
    TScalar Scalar(double value);

    /// <summary>a · b.</summary>
    TScalar Multiply(TScalar a, TScalar b);

    /// <summary>max(a, b).</summary>
    TScalar Max(TScalar a, double b);

    /// <summary>
    /// torch.optim.AdamW in one pass: p ← p·(1 − η·λ); m ← m + (1 − β1)(g − m); v ← β2·v + (1 − β2)·g²;
    /// p ← p − α·m / (√v / √(1 − β2^t) + ε) with α = η / (1 − β1^t). Without <paramref name="moveParameters"/> p is not written.
    /// </summary>
    void AdamWStep(TTensor parameter, TTensor gradient, Moment<TTensor> m, Moment<TTensor> v, float decayFactor, double beta1, double beta2,
        float stepSize, float correction2Sqrt, float eps, bool moveParameters);

    /// <summary>
    /// LAMB's moments: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g²; returns (Σ r², Σ p²) of the direction
    /// r = (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε) + λ·p, which is not stored.
    /// </summary>
    (TScalar UpdateSquares, TScalar ParameterSquares) LambMoments(TTensor parameter, TTensor gradient, Moment<TTensor> m, Moment<TTensor> v,
        double beta1, double beta2, LambDirection direction);

    /// <summary>The trust ratio ‖p‖ / ‖r‖ from the squared norms, or 1 where either is 0.</summary>
    TScalar TrustRatio(TScalar parameterSquares, TScalar updateSquares);

    /// <summary>LAMB's step: p ← p − η · trust · r, with r recomputed from the moments.</summary>
    void LambStep(TTensor parameter, Moment<TTensor> m, Moment<TTensor> v, LambDirection direction, double lr, TScalar trust);
}

/// <summary>How LAMB forms its direction r = m · <see cref="Correction1"/> / (√(v · <see cref="Correction2"/>) + ε) + λ·p.</summary>
/// <param name="Correction1">1 / (1 − β1^t).</param>
/// <param name="Correction2">1 / (1 − β2^t).</param>
/// <param name="Eps">ε.</param>
/// <param name="WeightDecay">λ.</param>
public readonly record struct LambDirection(float Correction1, float Correction2, float Eps, float WeightDecay);
