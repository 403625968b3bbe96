using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>LAMB's second pass: p ← p − scale · r, scale = η · trust, r recomputed from the moments as <see cref="LambMoments"/> formed it.</summary>
internal sealed class LambStep : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> param, expAvg, expAvgSq;
    private LambDirection direction;
    private float scale;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> m, Memory<float> v, LambDirection lambDirection,
        float stepScale)
    {
        layout = new FlatLayout(parameter.Length);
        param = parameter;
        expAvg = m;
        expAvgSq = v;
        direction = lambDirection;
        scale = stepScale;
        runner.Run(this, layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        var (start, count) = layout.Range(chunk);
        Span<float> p = param.Span.Slice(start, count);
        ReadOnlySpan<float> m = expAvg.Span.Slice(start, count);
        ReadOnlySpan<float> v = expAvgSq.Span.Slice(start, count);
        var r = new LambDirectionFormula(direction);
        var s = new Vector<float>(scale);
        int j = 0;
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
}
