using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// LAMB's first pass: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², with Σ r² and Σ p² of the direction r
/// (<see cref="LambDirectionFormula"/>), which is not stored: <see cref="LambStep"/> recomputes it.
/// </summary>
internal sealed class LambMoments : FlatPass<LambMoments.Arguments>
{
    /// <summary>Updates the moments and returns (Σ r², Σ p²), each added per chunk and then in chunk order.</summary>
    public (double UpdateSquares, double ParameterSquares) Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> parameter,
        Memory<float> gradient, Moment<Memory<float>> m, Moment<Memory<float>> v, double b1, double b2, LambDirection lambDirection)
    {
        int chunks = Run(runner, parameter.Length, new(parameter, gradient, m, v, workspace.ChunkSums, (float)b1, (float)(1 - b1), (float)b2,
            (float)(1 - b2), lambDirection));
        return (workspace.Total(chunks, 0), workspace.Total(chunks, 1));
    }

    protected override void Run(FlatChunk chunk, in Arguments a)
    {
        if (a.ExpAvg.IsQuantized)
        {
            RunBlocks(chunk, a);
            return;
        }
        ReadOnlySpan<float> p = chunk.Of(a.Parameter);
        ReadOnlySpan<float> g = chunk.Of(a.Gradient);
        Span<float> m = chunk.Of(a.ExpAvg.Data);
        Span<float> v = chunk.Of(a.ExpAvgSq.Data);
        var r = new LambDirectionFormula(a.Direction);
        var b1 = new Vector<float>(a.Beta1);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var b2 = new Vector<float>(a.Beta2);
        var w2 = new Vector<float>(a.OneMinusBeta2);
        Vector<float> updateSquares = default, parameterSquares = default;
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Update<FullLanes>(p, g, m, v, j, b1, w1, b2, w2, r, ref updateSquares, ref parameterSquares);
        double updateSum = Simd.Sum(updateSquares), parameterSum = Simd.Sum(parameterSquares);
        if (j < count)
        {
            Vector<float> tailUpdates = default, tailParameters = default;
            Update<TailLanes>(p, g, m, v, j, b1, w1, b2, w2, r, ref tailUpdates, ref tailParameters);
            updateSum += Simd.Sum(tailUpdates);
            parameterSum += Simd.Sum(tailParameters);
        }
        a.Sums[2 * chunk.Index] = updateSum;
        a.Sums[2 * chunk.Index + 1] = parameterSum;
    }

    /// <summary>With 8-bit moments, a block at a time; the sums run over the chunk in the same order as in float32.</summary>
    private static void RunBlocks(FlatChunk chunk, in Arguments a)
    {
        ReadOnlySpan<float> allP = chunk.Of(a.Parameter), allG = chunk.Of(a.Gradient);
        var blocks = new FlatBlocks(chunk, a.ExpAvg, a.ExpAvgSq);
        Span<float> mBlock = stackalloc float[Blockwise8Bit.BlockSize], vBlock = stackalloc float[Blockwise8Bit.BlockSize];
        var r = new LambDirectionFormula(a.Direction);
        var b1 = new Vector<float>(a.Beta1);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var b2 = new Vector<float>(a.Beta2);
        var w2 = new Vector<float>(a.OneMinusBeta2);
        Vector<float> updateSquares = default, parameterSquares = default, tailUpdates = default, tailParameters = default;
        for (int k = 0; k < blocks.Count; k += Blockwise8Bit.BlockSize)
        {
            int n = blocks.Length(k);
            Span<float> m = mBlock[..n], v = vBlock[..n];
            blocks.Decode(k, m, v);
            ReadOnlySpan<float> p = allP.Slice(k, n), g = allG.Slice(k, n);
            int j = 0;
            for (; j <= n - Simd.Width; j += Simd.Width)
                Update<FullLanes>(p, g, m, v, j, b1, w1, b2, w2, r, ref updateSquares, ref parameterSquares);
            if (j < n)
                Update<TailLanes>(p, g, m, v, j, b1, w1, b2, w2, r, ref tailUpdates, ref tailParameters);
            blocks.Encode(k, m, v);
        }
        // Only the chunk's last block can end in a partial vector, so this is the float32 pass's order of addition.
        double updateSum = Simd.Sum(updateSquares), parameterSum = Simd.Sum(parameterSquares);
        if (chunk.Count % Simd.Width != 0)
        {
            updateSum += Simd.Sum(tailUpdates);
            parameterSum += Simd.Sum(tailParameters);
        }
        a.Sums[2 * chunk.Index] = updateSum;
        a.Sums[2 * chunk.Index + 1] = parameterSum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TLanes>(ReadOnlySpan<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, int j, Vector<float> beta1,
        Vector<float> oneMinusBeta1, Vector<float> beta2, Vector<float> oneMinusBeta2, LambDirectionFormula direction,
        ref Vector<float> updateSquares, ref Vector<float> parameterSquares) where TLanes : struct, ILanes
    {
        var gv = TLanes.Load(g, j);
        var pv = TLanes.Load(p, j);
        var mv = TLanes.Load(m, j) * beta1 + oneMinusBeta1 * gv;
        var vv = TLanes.Load(v, j) * beta2 + oneMinusBeta2 * gv * gv;
        TLanes.Store(mv, m, j);
        TLanes.Store(vv, v, j);
        var r = direction.Of(mv, vv, pv);
        updateSquares += TLanes.Only(r * r, g.Length - j);
        parameterSquares += pv * pv;
    }

    /// <summary>A run's arguments; <see cref="Sums"/> are the workspace's per-chunk sums: slot 0 of each chunk takes its Σ r², slot 1 its Σ p².</summary>
    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> Gradient, Moment<Memory<float>> ExpAvg, Moment<Memory<float>> ExpAvgSq,
        double[] Sums, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, LambDirection Direction);
}
