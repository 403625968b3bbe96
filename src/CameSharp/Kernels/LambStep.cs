using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>LAMB's second pass: p ← p − scale · r, scale = η · trust, r recomputed from the moments as <see cref="LambMoments"/> formed it.</summary>
internal sealed class LambStep : FlatPass<LambStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> m, Memory<float> v, LambDirection lambDirection,
        float stepScale) =>
        Run(runner, parameter.Length, new(parameter, m, v, lambDirection, stepScale));

    protected override void Run(FlatChunk chunk, in Arguments a)
    {
        Span<float> p = chunk.Of(a.Parameter);
        ReadOnlySpan<float> m = chunk.Of(a.ExpAvg);
        ReadOnlySpan<float> v = chunk.Of(a.ExpAvgSq);
        var r = new LambDirectionFormula(a.Direction);
        var s = new Vector<float>(a.Scale);
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes>(p, m, v, j, r, s);
        if (j < count)
            Step<TailLanes>(p, m, v, j, r, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes>(Span<float> p, ReadOnlySpan<float> m, ReadOnlySpan<float> v, int j, LambDirectionFormula direction,
        Vector<float> scale) where TLanes : struct, ILanes
    {
        var pv = TLanes.Load(p, j);
        TLanes.Store(pv - scale * direction.Of(TLanes.Load(m, j), TLanes.Load(v, j), pv), p, j);
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> ExpAvg, Memory<float> ExpAvgSq, LambDirection Direction,
        float Scale);
}
