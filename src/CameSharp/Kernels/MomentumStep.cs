using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass over a 1-D tensor, where the official code skips the confidence step: u = clip · g · rsqrt(v), v the
/// full second moment; m ← β1·m + (1 − β1)·u; p ← p − η·λ·p − α·m, α being η times any bias correction. When the
/// parameters are not to move (η = 0), m alone is written.
/// </summary>
internal sealed class MomentumStep : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> param, grad, secondMoment, expAvg;
    private bool moveParameters;
    private float clip, beta1, oneMinusBeta1, stepSize, decay;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> v, float clipScale,
        Memory<float> momentum, double b1, float learningRate, float weightDecay, float alpha, bool move)
    {
        layout = new FlatLayout(parameter.Length);
        param = parameter;
        grad = gradient;
        secondMoment = v;
        clip = clipScale;
        expAvg = momentum;
        beta1 = (float)b1;
        oneMinusBeta1 = (float)(1 - b1);
        stepSize = alpha;
        decay = -learningRate * weightDecay;
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
        ReadOnlySpan<float> v = secondMoment.Span.Slice(start, count);
        Span<float> m = expAvg.Span.Slice(start, count);
        var clipv = new Vector<float>(clip);
        var b1 = new Vector<float>(beta1);
        var w1 = new Vector<float>(oneMinusBeta1);
        var alpha = new Vector<float>(stepSize);
        var decayv = new Vector<float>(decay);
        int j = 0;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
        if (j < count)
            Step<TailLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes, TMove>(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> v, Span<float> m, int j,
        Vector<float> clip, Vector<float> beta1, Vector<float> oneMinusBeta1, Vector<float> alpha, Vector<float> decay)
        where TLanes : struct, ILanes where TMove : struct, ISwitch
    {
        var u = RsqrtOf.Load<TLanes>(v, j) * TLanes.Load(g, j) * clip;
        var mv = TLanes.Load(m, j) * beta1 + oneMinusBeta1 * u;
        TLanes.Store(mv, m, j);
        if (!TMove.IsOn) return;
        var pv = TLanes.Load(p, j);
        pv += decay * pv;
        TLanes.Store(pv - mv * alpha, p, j);
    }
}
