using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// LAMB in two passes. Moments: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², with Σ r² and Σ p² of
/// r = (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε) + λ·p. Apply: p ← p − η · (‖p‖ / ‖r‖) · r, with r
/// recomputed rather than stored.
/// </summary>
internal sealed class LambJob : FlatJob
{
    private Memory<float> param, grad;
    private Memory<float> expAvg, expAvgSq;
    private double[] sums = [];
    private float beta1, rest1, beta2, rest2, invBc1, invBc2, eps, decay, scale;
    private bool applying;

    /// <summary>Updates the moments and returns (Σ r², Σ p²).</summary>
    public (double UpdateSquares, double ParamSquares) UpdateMoments(KernelRunner runner, KernelWorkspace workspace,
        Memory<float> parameter, Memory<float> gradient, Memory<float> m, Memory<float> v, double b1, double b2, LambDirection direction)
    {
        param = parameter;
        grad = gradient;
        expAvg = m;
        expAvgSq = v;
        sums = workspace.ChunkSums;
        beta1 = (float)b1;
        rest1 = (float)(1 - b1);
        beta2 = (float)b2;
        rest2 = (float)(1 - b2);
        (invBc1, invBc2, eps, decay) = direction;
        applying = false;
        Execute(runner, parameter.Length);
        return (workspace.Total(Layout.ChunkCount, 0), workspace.Total(Layout.ChunkCount, 1));
    }

    /// <summary>p ← p − <paramref name="stepScale"/> · r, r formed from the moments as <see cref="UpdateMoments"/> formed it.</summary>
    public void Apply(KernelRunner runner, Memory<float> parameter, Memory<float> m, Memory<float> v, LambDirection direction, float stepScale)
    {
        param = parameter;
        expAvg = m;
        expAvgSq = v;
        (invBc1, invBc2, eps, decay) = direction;
        scale = stepScale;
        applying = true;
        Execute(runner, param.Length);
    }

    protected override void ProcessRange(int chunk, int start, int count)
    {
        Span<float> p = param.Span.Slice(start, count);
        Span<float> m = expAvg.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var ib1 = new Vector<float>(invBc1);
        var ib2 = new Vector<float>(invBc2);
        var epsv = new Vector<float>(eps);
        var decayv = new Vector<float>(decay);
        if (applying)
        {
            var sv = new Vector<float>(scale);
            int k = 0;
            for (; k <= count - Simd.Width; k += Simd.Width)
            {
                var pv = Simd.Load(p, k);
                var r = Simd.Load(m, k) * ib1 / (Vector.SquareRoot(Simd.Load(v, k) * ib2) + epsv) + decayv * pv;
                Simd.Store(pv - sv * r, p, k);
            }
            for (; k < count; k++)
            {
                float r = m[k] * invBc1 / (MathF.Sqrt(v[k] * invBc2) + eps) + decay * p[k];
                p[k] = p[k] - scale * r;
            }
            return;
        }

        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        var b1v = new Vector<float>(beta1);
        var w1 = new Vector<float>(rest1);
        var b2v = new Vector<float>(beta2);
        var w2 = new Vector<float>(rest2);
        var rAcc = Vector<float>.Zero;
        var pAcc = Vector<float>.Zero;
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
        {
            var gv = Simd.Load(g, j);
            var pv = Simd.Load(p, j);
            var mv = Simd.Load(m, j) * b1v + w1 * gv;
            var vv = Simd.Load(v, j) * b2v + w2 * gv * gv;
            Simd.Store(mv, m, j);
            Simd.Store(vv, v, j);
            var r = mv * ib1 / (Vector.SquareRoot(vv * ib2) + epsv) + decayv * pv;
            rAcc += r * r;
            pAcc += pv * pv;
        }
        double rSum = Simd.Sum(rAcc), pSum = Simd.Sum(pAcc);
        for (; j < count; j++)
        {
            float mj = m[j] * beta1 + rest1 * g[j];
            float vj = v[j] * beta2 + rest2 * g[j] * g[j];
            m[j] = mj;
            v[j] = vj;
            float r = mj * invBc1 / (MathF.Sqrt(vj * invBc2) + eps) + decay * p[j];
            rSum += r * r;
            pSum += p[j] * p[j];
        }
        sums[2 * chunk] = rSum;
        sums[2 * chunk + 1] = pSum;
    }
}
