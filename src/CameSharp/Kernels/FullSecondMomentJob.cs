using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// The unfactored second moment of a 1-D tensor, as Adafactor and CAME keep it: v ← β2·v + (1 − β2)(g² + ε1),
/// and Σ (g · rsqrt(v))² for the RMS clip, in one pass.
/// </summary>
internal sealed class FullSecondMomentJob : FlatJob
{
    private Memory<float> grad;
    private Memory<float> expAvgSq;
    private double[] sums = [];
    private float beta2, rest, eps1;

    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, Memory<float> secondMoment,
        double b2, float epsilon1)
    {
        grad = gradient;
        expAvgSq = secondMoment;
        beta2 = (float)b2;
        rest = (float)(1 - b2);
        eps1 = epsilon1;
        sums = workspace.ChunkSums;
        Execute(runner, gradient.Length);
        return workspace.Total(Layout.ChunkCount);
    }

    protected override void ProcessRange(int chunk, int start, int count)
    {
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var b2v = new Vector<float>(beta2);
        var restv = new Vector<float>(rest);
        var eps = new Vector<float>(eps1);
        var acc = Vector<float>.Zero;
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
        {
            var gv = Simd.Load(g, j);
            var vv = Simd.Load(v, j) * b2v + restv * (gv * gv + eps);
            Simd.Store(vv, v, j);
            var dv = Vector<float>.One / Vector.SquareRoot(vv);
            var u = dv * gv;
            acc += u * u;
        }
        double sum = Simd.Sum(acc);
        for (; j < count; j++)
        {
            float vj = v[j] * beta2 + rest * (g[j] * g[j] + eps1);
            v[j] = vj;
            float u = 1f / MathF.Sqrt(vj) * g[j];
            sum += u * u;
        }
        sums[2 * chunk] = sum;
    }
}
