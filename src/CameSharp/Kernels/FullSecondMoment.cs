using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// The unfactored second moment of a 1-D tensor, as Adafactor and CAME keep it: v ← β2·v + (1 − β2)(g² + ε1),
/// and Σ (g · rsqrt(v))² for the RMS clip, in one pass.
/// </summary>
internal sealed class FullSecondMoment : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> grad, expAvgSq;
    private double[] sums = [];
    private float beta2, oneMinusBeta2, eps1;

    /// <summary>Updates v and returns Σ u², added per chunk and then in chunk order.</summary>
    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, Memory<float> secondMoment,
        double b2, float epsilon1)
    {
        layout = new FlatLayout(gradient.Length);
        grad = gradient;
        expAvgSq = secondMoment;
        beta2 = (float)b2;
        oneMinusBeta2 = (float)(1 - b2);
        eps1 = epsilon1;
        sums = workspace.ChunkSums;
        runner.Run(this, layout.ChunkCount);
        return workspace.Total(layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        var (start, count) = layout.Range(chunk);
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var b2 = new Vector<float>(beta2);
        var w2 = new Vector<float>(oneMinusBeta2);
        var eps = new Vector<float>(eps1);
        var squares = Vector<float>.Zero;
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
            squares += Update<FullLanes>(g, v, j, b2, w2, eps);
        double sum = Simd.Sum(squares);
        if (j < count)
            sum += Simd.Sum(Update<TailLanes>(g, v, j, b2, w2, eps));
        sums[2 * chunk] = sum;
    }

    /// <summary>Updates v at <paramref name="j"/> and returns u².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Update<TLanes>(ReadOnlySpan<float> g, Span<float> v, int j, Vector<float> beta2, Vector<float> oneMinusBeta2,
        Vector<float> eps1) where TLanes : struct, ILanes
    {
        var gv = TLanes.Load(g, j);
        var vv = TLanes.Load(v, j) * beta2 + oneMinusBeta2 * (gv * gv + eps1);
        TLanes.Store(vv, v, j);
        var u = Vector<float>.One / Vector.SquareRoot(vv) * gv;
        return TLanes.Only(u * u, g.Length - j);
    }
}
