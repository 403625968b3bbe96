using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// The unfactored second moment of a 1-D tensor, as Adafactor and CAME keep it: v ← β2·v + (1 − β2)(g² + ε1),
/// and Σ (g · rsqrt(v))² for the RMS clip, in one pass.
/// </summary>
internal sealed class FullSecondMoment : FlatPass<FullSecondMoment.Arguments>
{
    /// <summary>Updates v and returns Σ u², added per chunk and then in chunk order.</summary>
    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, Memory<float> secondMoment,
        double b2, float epsilon1) =>
        workspace.Total(Run(runner, gradient.Length, new(gradient, secondMoment, (float)b2, (float)(1 - b2), epsilon1, workspace.ChunkSums)));

    protected override void Run(FlatChunk chunk, in Arguments a)
    {
        ReadOnlySpan<float> g = chunk.Of(a.Gradient);
        Span<float> v = chunk.Of(a.ExpAvgSq);
        var b2 = new Vector<float>(a.Beta2);
        var w2 = new Vector<float>(a.OneMinusBeta2);
        var eps = new Vector<float>(a.Eps1);
        var squares = Vector<float>.Zero;
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            squares += Update<FullLanes>(g, v, j, b2, w2, eps);
        double sum = Simd.Sum(squares);
        if (j < count)
            sum += Simd.Sum(Update<TailLanes>(g, v, j, b2, w2, eps));
        a.Sums[2 * chunk.Index] = sum;
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

    /// <summary>A run's arguments; <see cref="Sums"/> are the workspace's per-chunk sums, slot 0 of each chunk taking its Σ u².</summary>
    internal readonly record struct Arguments(Memory<float> Gradient, Memory<float> ExpAvgSq, float Beta2, float OneMinusBeta2, float Eps1,
        double[] Sums);
}
