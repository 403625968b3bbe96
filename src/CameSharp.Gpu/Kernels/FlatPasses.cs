using ILGPU;
using static CameSharp.Gpu.Kernels.GroupReduce;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// Element-wise kernels over a whole tensor: each thread strides over the tensor by the grid's size, which depends on the
/// length alone (<see cref="Groups"/>), so a reduction's per-group partial sums, added in group order by
/// <see cref="FinishSums"/>, are the same on every run. A kernel that reads g or θ is generic over their element type:
/// a codec loads each element as float32 and stores θ back (see <see cref="IElementCodec{TElement}"/>); state stays float32.
/// Bytes quoted below are for float32 θ and g; docs/gpu-kernels.md gives them for 16-bit θ and g too.
/// </summary>
internal static class FlatPasses
{
    /// <summary>Most groups a flat kernel launches: enough to fill any current GPU several times over.</summary>
    public const int MaxGroups = 1024;

    /// <summary>The groups of <paramref name="groupSize"/> threads a flat kernel over <paramref name="length"/> elements launches.</summary>
    public static int Groups(long length, int groupSize) => (int)Math.Clamp((length + groupSize - 1) / groupSize, 1, MaxGroups);

    private static long Stride => (long)Grid.DimX * Group.DimX;

    /// <summary>
    /// Σ term(x) over the elements x of g or θ, per group: with <see cref="UnusableTerm"/> the count of elements whose
    /// square is not finite (a gradient's verdict), with <see cref="SquareTerm"/> Σ x² (an RMS or a norm).
    /// </summary>
    public static void GroupSums<TElement, TCodec, TTerm>(ArrayView<TElement> x, ArrayView<double> partials)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement> where TTerm : struct, IElementTerm
    {
        TCodec codec = default;
        TTerm term = default;
        var shared = SharedMemory.GetDynamic<double>();
        float sum = 0;
        for (long i = Grid.GlobalIndex.X; i < x.Length; i += Stride)
            sum += term.Of(codec.Load(x[i]));
        float total = Sum(sum, shared);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>
    /// One group: the partial sums of <paramref name="groups"/> groups added in group order, into <paramref name="first"/>
    /// (from partials [0, groups)) and, when it is not empty, <paramref name="second"/> (from [MaxGroups, MaxGroups + groups)).
    /// With <paramref name="asVerdict"/>, <paramref name="first"/> gets 1 when the sum is 0 (nothing was refused), else 0.
    /// </summary>
    public static void FinishSums(ArrayView<double> partials, int groups, ArrayView<double> first, ArrayView<double> second, int asVerdict)
    {
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX;
        double a = 0, b = 0;
        for (int k = t; k < groups; k += Group.DimX)
        {
            a += partials[k];
            if (second.Length > 0) b += partials[MaxGroups + k];
        }
        double totalA = Sum(a, shared);
        double totalB = Sum(b, shared);
        if (t != 0) return;
        first[0] = asVerdict != 0 ? (totalA == 0 ? 1.0 : 0.0) : totalA;
        if (second.Length > 0) second[0] = totalB;
    }

    /// <summary>One thread: the product of two scalars into <paramref name="slot"/>, when their terms do not fit in one scalar.</summary>
    public static void Materialise(GpuScalar a, GpuScalar b, ArrayView<double> slot)
    {
        if (Grid.GlobalIndex.X == 0) slot[0] = a.Evaluate() * b.Evaluate();
    }

    /// <summary>A full second moment (1-D tensors; reads g, v, writes v: 12 bytes an element): v ← β2·v + (1 − β2)(g² + ε1); Σ (g / √v)² per group.</summary>
    public static void SecondMoment<TElement, TCodec>(ArrayView<TElement> g, ArrayView<float> v, EmaWeights beta2, float eps1,
        ArrayView<double> partials)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        float sum = 0;
        for (long i = Grid.GlobalIndex.X; i < g.Length; i += Stride)
        {
            float x = codec.Load(g[i]);
            float vv = beta2.Of(v[i], x * x + eps1);
            v[i] = vv;
            float u = 1f / MathF.Sqrt(vv) * x;
            sum += u * u;
        }
        float total = Sum(sum, shared);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>
    /// CAME on a 1-D tensor (reads θ, g, v, m; writes m, θ): u = rsqrt(v) · g · clip; m ← β1·m + (1 − β1)·u; when
    /// <paramref name="move"/>, θ ← θ − η·λ·θ − α·m.
    /// </summary>
    public static void MomentumStep<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, ArrayView<float> v, GpuScalar clipScale,
        ArrayView<float> m, EmaWeights beta1, float decay, float alpha, int move, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        float clip = (float)clipScale.Evaluate();
        for (long i = Grid.GlobalIndex.X; i < g.Length; i += Stride)
        {
            float u = 1f / MathF.Sqrt(v[i]) * codec.Load(g[i]) * clip;
            float mv = beta1.Of(m[i], u);
            m[i] = mv;
            if (move == 0) continue;
            float pv = codec.Load(p[i]);
            pv += decay * pv;
            p[i] = codec.Store(pv - mv * alpha, i, key);
        }
    }

    /// <summary>
    /// Adafactor on a 1-D tensor: u = scale · rsqrt(v) · g; with momentum (m not empty) m ← β1·m + (1 − β1)·u and u = m;
    /// θ ← θ − decay·θ − u.
    /// </summary>
    public static void AdafactorStep<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, ArrayView<float> v, GpuScalar scale,
        ArrayView<float> m, EmaWeights beta1, GpuScalar decay, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        float scaleValue = (float)scale.Evaluate();
        float minusDecay = -(float)decay.Evaluate();
        bool momentum = m.Length > 0;
        for (long i = Grid.GlobalIndex.X; i < p.Length; i += Stride)
        {
            AdafactorElement<TElement, TCodec>(p, m, i, scaleValue * (1f / MathF.Sqrt(v[i])) * codec.Load(g[i]), momentum, beta1, minusDecay, key);
        }
    }

    /// <summary>
    /// One element of Adafactor's step, factored or not, from its scaled update u: with momentum m ← β1·m + (1 − β1)·u
    /// and u = m; then θ ← θ − decay·θ − u.
    /// </summary>
    internal static void AdafactorElement<TElement, TCodec>(ArrayView<TElement> p, ArrayView<float> m, long i, float u, bool momentum,
        EmaWeights beta1, float minusDecay, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        if (momentum)
        {
            u = beta1.Of(m[i], u);
            m[i] = u;
        }
        float pv = codec.Load(p[i]);
        pv += minusDecay * pv;
        p[i] = codec.Store(pv - u, i, key);
    }

    /// <summary>The constants of <see cref="AdamWStep"/>, as the rule gives them.</summary>
    public readonly struct AdamWConstants(float decayFactor, double beta1, double beta2, float stepSize, float correction2Sqrt, float eps, bool move)
    {
        public readonly float DecayFactor = decayFactor;
        public readonly float OneMinusBeta1 = (float)(1 - beta1);
        public readonly EmaWeights Beta2 = new(beta2);
        public readonly float StepSize = stepSize;
        public readonly float Correction2Sqrt = correction2Sqrt;
        public readonly float Eps = eps;
        public readonly int Move = move ? 1 : 0;
    }

    /// <summary>
    /// torch.optim.AdamW in one pass (reads θ, g, m, v; writes m, v, θ: 28 bytes an element): m ← m + (1 − β1)(g − m);
    /// v ← β2·v + (1 − β2)·g²; θ ← θ·(1 − η·λ) − α·m / (√v / √(1 − β2^t) + ε).
    /// </summary>
    public static void AdamWStep<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, ArrayView<float> m, ArrayView<float> v,
        AdamWConstants k, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        for (long i = Grid.GlobalIndex.X; i < p.Length; i += Stride)
        {
            float gv = codec.Load(g[i]);
            float mv = AdamWFirst(m[i], gv, k);
            float vv = AdamWSecond(v[i], gv, k);
            m[i] = mv;
            v[i] = vv;
            if (k.Move == 0) continue;
            p[i] = codec.Store(AdamWParameter(codec.Load(p[i]), mv, vv, k), i, key);
        }
    }

    /// <summary>AdamW's m ← m + (1 − β1)(g − m).</summary>
    internal static float AdamWFirst(float m, float g, AdamWConstants k) => m + k.OneMinusBeta1 * (g - m);

    /// <summary>AdamW's v ← β2·v + (1 − β2)·g².</summary>
    internal static float AdamWSecond(float v, float g, AdamWConstants k) => v * k.Beta2.Beta + k.Beta2.OneMinusBeta * g * g;

    /// <summary>AdamW's θ·(1 − η·λ) − α·m / (√v / √(1 − β2^t) + ε).</summary>
    internal static float AdamWParameter(float p, float m, float v, AdamWConstants k)
    {
        float denominator = MathF.Sqrt(v) / k.Correction2Sqrt + k.Eps;
        return p * k.DecayFactor - k.StepSize * m / denominator;
    }

    /// <summary>LAMB's v ← β2·v + (1 − β2)·g².</summary>
    internal static float LambSecond(float v, float g, EmaWeights beta2) => v * beta2.Beta + beta2.OneMinusBeta * g * g;

    /// <summary>LAMB's direction r = m · c1 / (√(v · c2) + ε) + λ·θ, in the CPU engine's float operations.</summary>
    internal static float Direction(float m, float v, float p, LambDirection d) =>
        m * d.Correction1 / (MathF.Sqrt(v * d.Correction2) + d.Eps) + d.WeightDecay * p;

    /// <summary>
    /// LAMB's first pass (reads θ, g, m, v; writes m, v: 24 bytes an element): the moments, and per group Σ r² (partials
    /// [0, MaxGroups)) and Σ θ² (partials [MaxGroups, 2·MaxGroups)).
    /// </summary>
    public static void LambMoments<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, ArrayView<float> m, ArrayView<float> v,
        EmaWeights beta1, EmaWeights beta2, LambDirection direction, ArrayView<double> partials)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        float updateSquares = 0, parameterSquares = 0;
        for (long i = Grid.GlobalIndex.X; i < p.Length; i += Stride)
        {
            float gv = codec.Load(g[i]), pv = codec.Load(p[i]);
            float mv = beta1.Of(m[i], gv);
            float vv = LambSecond(v[i], gv, beta2);
            m[i] = mv;
            v[i] = vv;
            float r = Direction(mv, vv, pv, direction);
            updateSquares += r * r;
            parameterSquares += pv * pv;
        }
        float totalUpdate = Sum(updateSquares, shared);
        float totalParameter = Sum(parameterSquares, shared);
        if (Group.IdxX != 0) return;
        partials[Grid.IdxX] = totalUpdate;
        partials[MaxGroups + Grid.IdxX] = totalParameter;
    }

    /// <summary>
    /// LAMB's step (reads θ, m, v; writes θ: 16 bytes an element, 10 with 8-bit moments): θ ← θ − (η · trust) · r, r
    /// recomputed from the moments as <typeparamref name="TMoment"/> reads them.
    /// </summary>
    public static void LambStep<TElement, TCodec, TMoment>(ArrayView<TElement> p, TMoment m, TMoment v, LambDirection direction,
        GpuScalar scale, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement> where TMoment : struct, IMomentView
    {
        TCodec codec = default;
        float s = (float)scale.Evaluate();
        for (long i = Grid.GlobalIndex.X; i < p.Length; i += Stride)
        {
            float pv = codec.Load(p[i]);
            p[i] = codec.Store(pv - s * Direction(m.Load(i), v.Load(i), pv, direction), i, key);
        }
    }
}

/// <summary>What <see cref="FlatPasses.GroupSums{TElement, TCodec, TTerm}"/> adds up for each element.</summary>
internal interface IElementTerm
{
    float Of(float x);
}

/// <summary>1 for an element whose square is not finite in float32 (NaN, ±∞, or |x| past √float.MaxValue), else 0.</summary>
internal readonly struct UnusableTerm : IElementTerm
{
    public float Of(float x) => IsFinite(x * x) ? 0f : 1f;
}

/// <summary>x².</summary>
internal readonly struct SquareTerm : IElementTerm
{
    public float Of(float x) => x * x;
}
