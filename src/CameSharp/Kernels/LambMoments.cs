using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// LAMB's first pass: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², with Σ r² and Σ p² of the direction r
/// (<see cref="LambDirectionFormula"/>), which is not stored: <see cref="LambStep"/> recomputes it.
/// </summary>
internal sealed class LambMoments : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> param, grad, expAvg, expAvgSq;
    private double[] sums = [];
    private float beta1, oneMinusBeta1, beta2, oneMinusBeta2;
    private LambDirection direction;

    /// <summary>Updates the moments and returns (Σ r², Σ p²), each added per chunk and then in chunk order.</summary>
    public (double UpdateSquares, double ParameterSquares) Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> parameter,
        Memory<float> gradient, Memory<float> m, Memory<float> v, double b1, double b2, LambDirection lambDirection)
    {
        layout = new FlatLayout(parameter.Length);
        param = parameter;
        grad = gradient;
        expAvg = m;
        expAvgSq = v;
        sums = workspace.ChunkSums;
        beta1 = (float)b1;
        oneMinusBeta1 = (float)(1 - b1);
        beta2 = (float)b2;
        oneMinusBeta2 = (float)(1 - b2);
        direction = lambDirection;
        runner.Run(this, layout.ChunkCount);
        return (workspace.Total(layout.ChunkCount, 0), workspace.Total(layout.ChunkCount, 1));
    }

    public override void Run(int chunk)
    {
        var (start, count) = layout.Range(chunk);
        ReadOnlySpan<float> p = param.Span.Slice(start, count);
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        Span<float> m = expAvg.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var r = new LambDirectionFormula(direction);
        var b1 = new Vector<float>(beta1);
        var w1 = new Vector<float>(oneMinusBeta1);
        var b2 = new Vector<float>(beta2);
        var w2 = new Vector<float>(oneMinusBeta2);
        Vector<float> updateSquares = default, parameterSquares = default;
        int j = 0;
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
        sums[2 * chunk] = updateSum;
        sums[2 * chunk + 1] = parameterSum;
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
}
