using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// torch.optim.AdamW as one fused pass: p ← p·(1 − η·λ); m ← m + (1 − β1)(g − m); v ← β2·v + (1 − β2)·g²;
/// p ← p − (η / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε). At η = 0 the moments advance and p is not written,
/// so that it stays bitwise as it was (the formula would turn −0 into +0, or 0·∞ into NaN where v and ε are 0).
/// </summary>
internal sealed class AdamWJob : FlatJob
{
    private Memory<float> param, grad;
    private Memory<float> expAvg, expAvgSq;
    private float decayFactor, rest1, beta2, rest2, stepSize, bc2Sqrt, eps;
    private bool moveParameters;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> m, Memory<float> v,
        float decay, double b1, double b2, float alpha, float correction2Sqrt, float epsilon, bool move)
    {
        param = parameter;
        grad = gradient;
        expAvg = m;
        expAvgSq = v;
        decayFactor = decay;
        rest1 = (float)(1 - b1);
        beta2 = (float)b2;
        rest2 = (float)(1 - b2);
        stepSize = alpha;
        bc2Sqrt = correction2Sqrt;
        eps = epsilon;
        moveParameters = move;
        Execute(runner, parameter.Length);
    }

    protected override void ProcessRange(int chunk, int start, int count)
    {
        Span<float> p = param.Span.Slice(start, count);
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        Span<float> m = expAvg.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var decayv = new Vector<float>(decayFactor);
        var w1 = new Vector<float>(rest1);
        var b2v = new Vector<float>(beta2);
        var w2 = new Vector<float>(rest2);
        var stepv = new Vector<float>(stepSize);
        var bc2v = new Vector<float>(bc2Sqrt);
        var epsv = new Vector<float>(eps);
        bool move = moveParameters;
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
        {
            var gv = Simd.Load(g, j);
            var mv = Simd.Load(m, j);
            mv += w1 * (gv - mv);
            var vv = Simd.Load(v, j) * b2v + w2 * gv * gv;
            Simd.Store(mv, m, j);
            Simd.Store(vv, v, j);
            if (!move) continue;
            var denom = Vector.SquareRoot(vv) / bc2v + epsv;
            Simd.Store(Simd.Load(p, j) * decayv - stepv * mv / denom, p, j);
        }
        for (; j < count; j++)
        {
            float mj = m[j] + rest1 * (g[j] - m[j]);
            float vj = v[j] * beta2 + rest2 * g[j] * g[j];
            m[j] = mj;
            v[j] = vj;
            if (!move) continue;
            float denom = MathF.Sqrt(vj) / bc2Sqrt + eps;
            p[j] = p[j] * decayFactor - stepSize * mj / denom;
        }
    }
}
