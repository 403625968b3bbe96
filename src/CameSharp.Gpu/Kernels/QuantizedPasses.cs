using ILGPU;
using static CameSharp.Gpu.Kernels.GroupReduce;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// The passes that write 8-bit state (<see cref="Blockwise8Bit"/>, through <see cref="CodedMoment"/>). A group takes one
/// block of 256 at a time (blocks Grid.IdxX, Grid.IdxX + Grid.DimX, ...: a grid that depends on the length alone), its
/// threads one element each (or 256 / group size elements each on a smaller group). An element's new moment is formed
/// twice: once for the block's absmax (a max over the group, exact in any order), once to encode it and step θ, so
/// nothing of the block is held between the two; on a GPU the second reads come from cache. Each formula is the
/// float32 kernel's, from the decoded state, so a pass gives the float32 pass's θ on the decoded moments and the codes
/// of its float32 moments. Bytes an element: the float32 pass's, less 3 for each moment read and written (codes
/// instead of floats, plus an absmax per 256).
/// </summary>
internal static class QuantizedPasses
{
    private const int BlockSize = Blockwise8Bit.BlockSize;

    /// <summary>The groups a block pass launches over a moment of <paramref name="blocks"/> blocks.</summary>
    public static int Groups(long blocks) => (int)Math.Clamp(blocks, 1, FlatPasses.MaxGroups);

    /// <summary>
    /// A momentum pass: m ← β1·m + (1 − β1)·u with u from <typeparamref name="TUpdate"/> (times <paramref name="factor"/>);
    /// when <paramref name="move"/>, θ ← θ + d·θ − α·m with d = <paramref name="decaySign"/> · <paramref name="decay"/>.
    /// CAME's vector step, Adafactor's momentum (flat and factored) and the codes of CAME's factored momentum.
    /// </summary>
    public static void MomentumBlocks<TElement, TCodec, TUpdate>(ArrayView<TElement> p, TUpdate update, GpuScalar factor, CodedMoment m,
        EmaWeights beta1, GpuScalar decay, float decaySign, float alpha, int move, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement> where TUpdate : struct, IMomentumUpdate
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        float f = (float)factor.Evaluate();
        float d = decaySign * (float)decay.Evaluate();
        int t = Group.IdxX;
        for (long b = Grid.IdxX; b < m.Blocks; b += Grid.DimX)
        {
            float scale = GpuBlockwise8Bit.Scale(m.Absmax[b]);
            float largest = 0;
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i >= 0) largest = MathF.Max(largest, MathF.Abs(beta1.Of(GpuBlockwise8Bit.Decode(m.Codes[i], scale, m.Signed), update.Of(i, f))));
            }
            largest = Max(largest, shared);
            float inverse = GpuBlockwise8Bit.InverseScale(largest);
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i < 0) continue;
                float mv = beta1.Of(GpuBlockwise8Bit.Decode(m.Codes[i], scale, m.Signed), update.Of(i, f));
                m.Encode(i, mv, inverse);
                if (move == 0) continue;
                float pv = codec.Load(p[i]);
                pv += d * pv;
                p[i] = codec.Store(pv - mv * alpha, i, key);
            }
            if (t == 0) m.Absmax[b] = inverse == 0 ? 0 : largest;
        }
    }

    /// <summary>AdamW over 8-bit m and v (<see cref="FlatPasses.AdamWStep{TElement, TCodec}"/>'s formulas).</summary>
    public static void AdamWStep<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, CodedMoment m, CodedMoment v,
        FlatPasses.AdamWConstants k, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX;
        for (long b = Grid.IdxX; b < m.Blocks; b += Grid.DimX)
        {
            float mScale = GpuBlockwise8Bit.Scale(m.Absmax[b]), vScale = GpuBlockwise8Bit.Scale(v.Absmax[b]);
            float mLargest = 0, vLargest = 0;
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i < 0) continue;
                float gv = codec.Load(g[i]);
                mLargest = MathF.Max(mLargest, MathF.Abs(FlatPasses.AdamWFirst(GpuBlockwise8Bit.Decode(m.Codes[i], mScale, m.Signed), gv, k)));
                vLargest = MathF.Max(vLargest, MathF.Abs(FlatPasses.AdamWSecond(GpuBlockwise8Bit.Decode(v.Codes[i], vScale, v.Signed), gv, k)));
            }
            mLargest = Max(mLargest, shared);
            vLargest = Max(vLargest, shared);
            float mInverse = GpuBlockwise8Bit.InverseScale(mLargest), vInverse = GpuBlockwise8Bit.InverseScale(vLargest);
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i < 0) continue;
                float gv = codec.Load(g[i]);
                float mv = FlatPasses.AdamWFirst(GpuBlockwise8Bit.Decode(m.Codes[i], mScale, m.Signed), gv, k);
                float vv = FlatPasses.AdamWSecond(GpuBlockwise8Bit.Decode(v.Codes[i], vScale, v.Signed), gv, k);
                m.Encode(i, mv, mInverse);
                v.Encode(i, vv, vInverse);
                if (k.Move == 0) continue;
                p[i] = codec.Store(FlatPasses.AdamWParameter(codec.Load(p[i]), mv, vv, k), i, key);
            }
            if (t != 0) continue;
            m.Absmax[b] = mInverse == 0 ? 0 : mLargest;
            v.Absmax[b] = vInverse == 0 ? 0 : vLargest;
        }
    }

    /// <summary>
    /// LAMB's first pass over 8-bit m and v (<see cref="FlatPasses.LambMoments{TElement, TCodec}"/>'s formulas): the
    /// moments, and per group Σ r² (partials [0, MaxGroups)) and Σ θ² (partials [MaxGroups, 2·MaxGroups)).
    /// </summary>
    public static void LambMoments<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, CodedMoment m, CodedMoment v,
        EmaWeights beta1, EmaWeights beta2, LambDirection direction, ArrayView<double> partials)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX;
        float updateSquares = 0, parameterSquares = 0;
        for (long b = Grid.IdxX; b < m.Blocks; b += Grid.DimX)
        {
            float mScale = GpuBlockwise8Bit.Scale(m.Absmax[b]), vScale = GpuBlockwise8Bit.Scale(v.Absmax[b]);
            float mLargest = 0, vLargest = 0;
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i < 0) continue;
                float gv = codec.Load(g[i]);
                mLargest = MathF.Max(mLargest, MathF.Abs(beta1.Of(GpuBlockwise8Bit.Decode(m.Codes[i], mScale, m.Signed), gv)));
                vLargest = MathF.Max(vLargest, MathF.Abs(FlatPasses.LambSecond(GpuBlockwise8Bit.Decode(v.Codes[i], vScale, v.Signed), gv, beta2)));
            }
            mLargest = Max(mLargest, shared);
            vLargest = Max(vLargest, shared);
            float mInverse = GpuBlockwise8Bit.InverseScale(mLargest), vInverse = GpuBlockwise8Bit.InverseScale(vLargest);
            for (int e = t; e < BlockSize; e += Group.DimX)
            {
                long i = m.IndexOf(b, e);
                if (i < 0) continue;
                float gv = codec.Load(g[i]), pv = codec.Load(p[i]);
                float mv = beta1.Of(GpuBlockwise8Bit.Decode(m.Codes[i], mScale, m.Signed), gv);
                float vv = FlatPasses.LambSecond(GpuBlockwise8Bit.Decode(v.Codes[i], vScale, v.Signed), gv, beta2);
                m.Encode(i, mv, mInverse);
                v.Encode(i, vv, vInverse);
                float r = FlatPasses.Direction(mv, vv, pv, direction);
                updateSquares += r * r;
                parameterSquares += pv * pv;
            }
            if (t != 0) continue;
            m.Absmax[b] = mInverse == 0 ? 0 : mLargest;
            v.Absmax[b] = vInverse == 0 ? 0 : vLargest;
        }
        float totalUpdate = Sum(updateSquares, shared);
        float totalParameter = Sum(parameterSquares, shared);
        if (t != 0) return;
        partials[Grid.IdxX] = totalUpdate;
        partials[FlatPasses.MaxGroups + Grid.IdxX] = totalParameter;
    }
}

/// <summary>The update u that a momentum pass folds into m, element by element, as the float32 kernel forms it.</summary>
internal interface IMomentumUpdate
{
    /// <summary>u of element <paramref name="index"/>, with the pass's scalar factor (the clip, or Adafactor's scale).</summary>
    float Of(long index, float factor);
}

/// <summary>CAME on a vector: u = rsqrt(v) · g · clip (<see cref="FlatPasses.MomentumStep{TElement, TCodec}"/>).</summary>
internal readonly struct CameVectorUpdate<TElement, TCodec>(ArrayView<TElement> g, ArrayView<float> v) : IMomentumUpdate
    where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
{
    public readonly ArrayView<TElement> G = g;
    public readonly ArrayView<float> V = v;

    public float Of(long index, float factor)
    {
        TCodec codec = default;
        return 1f / MathF.Sqrt(V[index]) * codec.Load(G[index]) * factor;
    }
}

/// <summary>Adafactor on a vector: u = scale · rsqrt(v) · g (<see cref="FlatPasses.AdafactorStep{TElement, TCodec}"/>).</summary>
internal readonly struct AdafactorVectorUpdate<TElement, TCodec>(ArrayView<TElement> g, ArrayView<float> v) : IMomentumUpdate
    where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
{
    public readonly ArrayView<TElement> G = g;
    public readonly ArrayView<float> V = v;

    public float Of(long index, float factor)
    {
        TCodec codec = default;
        return factor * (1f / MathF.Sqrt(V[index])) * codec.Load(G[index]);
    }
}

/// <summary>CAME on a factored tensor: u = r_i · c_j · g · clip (<see cref="FactoredPasses.CameMomentum{TElement, TCodec, TMoment}"/>).</summary>
internal readonly struct CameFactoredUpdate<TElement, TCodec>(ArrayView<TElement> g, FactoredViews v, MatrixShape s) : IMomentumUpdate
    where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
{
    public readonly ArrayView<TElement> G = g;
    public readonly FactoredViews V = v;
    public readonly MatrixShape S = s;

    public float Of(long index, float factor)
    {
        TCodec codec = default;
        int row = (int)(index / S.Cols), j = (int)(index - (long)row * S.Cols);
        return V.RowFactor[row] * V.ColFactor[row / S.Rows * S.Cols + j] * codec.Load(G[index]) * factor;
    }
}

/// <summary>Adafactor on a factored tensor: u = (r_i · scale) · c_j · g (<see cref="FactoredPasses.AdafactorStep{TElement, TCodec}"/>).</summary>
internal readonly struct AdafactorFactoredUpdate<TElement, TCodec>(ArrayView<TElement> g, FactoredViews v, MatrixShape s) : IMomentumUpdate
    where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
{
    public readonly ArrayView<TElement> G = g;
    public readonly FactoredViews V = v;
    public readonly MatrixShape S = s;

    public float Of(long index, float factor)
    {
        TCodec codec = default;
        int row = (int)(index / S.Cols), j = (int)(index - (long)row * S.Cols);
        return V.RowFactor[row] * factor * V.ColFactor[row / S.Rows * S.Cols + j] * codec.Load(G[index]);
    }
}
