using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>LAMB's second pass: p ← p − scale · r, scale = η · trust, r recomputed from the moments as <see cref="LambMoments"/> formed it.</summary>
internal sealed class LambStep : FlatPass<LambStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Moment<Memory<float>> m, Moment<Memory<float>> v, LambDirection lambDirection,
        float stepScale) =>
        Run(runner, parameter.Length, new(parameter, m, v, lambDirection, stepScale));

    protected override void Run(FlatChunk chunk, in Arguments a)
    {
        if (a.ExpAvg.IsQuantized)
        {
            RunBlocks(chunk, a);
            return;
        }
        Span<float> p = chunk.Of(a.Parameter);
        ReadOnlySpan<float> m = chunk.Of(a.ExpAvg.Data);
        ReadOnlySpan<float> v = chunk.Of(a.ExpAvgSq.Data);
        var r = new LambDirectionFormula(a.Direction);
        var s = new Vector<float>(a.Scale);
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes>(p, m, v, j, r, s);
        if (j < count)
            Step<TailLanes>(p, m, v, j, r, s);
    }

    /// <summary>With 8-bit moments: each block of m and v decoded into stack buffers.</summary>
    private static void RunBlocks(FlatChunk chunk, in Arguments a)
    {
        Span<float> allP = chunk.Of(a.Parameter);
        var blocks = new FlatBlocks(chunk, a.ExpAvg, a.ExpAvgSq);
        Span<float> mBlock = stackalloc float[Blockwise8Bit.BlockSize], vBlock = stackalloc float[Blockwise8Bit.BlockSize];
        var r = new LambDirectionFormula(a.Direction);
        var s = new Vector<float>(a.Scale);
        for (int k = 0; k < blocks.Count; k += Blockwise8Bit.BlockSize)
        {
            int n = blocks.Length(k);
            Span<float> m = mBlock[..n], v = vBlock[..n];
            blocks.Decode(k, m, v);
            Span<float> p = allP.Slice(k, n);
            int j = 0;
            for (; j <= n - Simd.Width; j += Simd.Width)
                Step<FullLanes>(p, m, v, j, r, s);
            if (j < n)
                Step<TailLanes>(p, m, v, j, r, s);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes>(Span<float> p, ReadOnlySpan<float> m, ReadOnlySpan<float> v, int j, LambDirectionFormula direction,
        Vector<float> scale) where TLanes : struct, ILanes
    {
        var pv = TLanes.Load(p, j);
        TLanes.Store(pv - scale * direction.Of(TLanes.Load(m, j), TLanes.Load(v, j), pv), p, j);
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Moment<Memory<float>> ExpAvg, Moment<Memory<float>> ExpAvgSq, LambDirection Direction,
        float Scale);
}
