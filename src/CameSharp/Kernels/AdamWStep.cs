using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// torch.optim.AdamW as one fused pass: p ← p·(1 − η·λ); m ← m + (1 − β1)(g − m); v ← β2·v + (1 − β2)·g²;
/// p ← p − (η / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε). At η = 0 the moments advance and p is not written,
/// so that it stays bitwise as it was (the formula would turn −0 into +0, or 0·∞ into NaN where v and ε are 0).
/// </summary>
internal sealed class AdamWStep : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> param, grad, expAvg, expAvgSq;
    private float decayFactor, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bc2Sqrt, eps;
    private bool moveParameters;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> m, Memory<float> v,
        float decay, double b1, double b2, float alpha, float correction2Sqrt, float epsilon, bool move)
    {
        layout = new FlatLayout(parameter.Length);
        param = parameter;
        grad = gradient;
        expAvg = m;
        expAvgSq = v;
        decayFactor = decay;
        oneMinusBeta1 = (float)(1 - b1);
        beta2 = (float)b2;
        oneMinusBeta2 = (float)(1 - b2);
        stepSize = alpha;
        bc2Sqrt = correction2Sqrt;
        eps = epsilon;
        moveParameters = move;
        runner.Run(this, layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        if (moveParameters) Run<On>(chunk);
        else Run<Off>(chunk);
    }

    private void Run<TMove>(int chunk) where TMove : struct, ISwitch
    {
        var (start, count) = layout.Range(chunk);
        Span<float> p = param.Span.Slice(start, count);
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        Span<float> m = expAvg.Span.Slice(start, count);
        Span<float> v = expAvgSq.Span.Slice(start, count);
        var decay = new Vector<float>(decayFactor);
        var w1 = new Vector<float>(oneMinusBeta1);
        var b2 = new Vector<float>(beta2);
        var w2 = new Vector<float>(oneMinusBeta2);
        var alpha = new Vector<float>(stepSize);
        var bc2 = new Vector<float>(bc2Sqrt);
        var epsv = new Vector<float>(eps);
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
        if (j < count)
            Step<TailLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes, TMove>(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, int j, Vector<float> decayFactor,
        Vector<float> oneMinusBeta1, Vector<float> beta2, Vector<float> oneMinusBeta2, Vector<float> alpha, Vector<float> correction2Sqrt,
        Vector<float> eps) where TLanes : struct, ILanes where TMove : struct, ISwitch
    {
        var gv = TLanes.Load(g, j);
        var mv = TLanes.Load(m, j);
        mv += oneMinusBeta1 * (gv - mv);
        var vv = TLanes.Load(v, j) * beta2 + oneMinusBeta2 * gv * gv;
        TLanes.Store(mv, m, j);
        TLanes.Store(vv, v, j);
        if (!TMove.IsOn) return;
        var denominator = Vector.SquareRoot(vv) / correction2Sqrt + eps;
        TLanes.Store(TLanes.Load(p, j) * decayFactor - alpha * mv / denominator, p, j);
    }
}
