using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass over a 1-D tensor, where the official code skips the confidence step: u = clip · g · rsqrt(v), v the
/// full second moment; m ← β1·m + (1 − β1)·u; p ← p − η·λ·p − α·m, α being η times any bias correction. When the
/// parameters are not to move (η = 0), m alone is written.
/// </summary>
internal sealed class MomentumStep : ModalFlatPass<MomentumStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> v, float clipScale,
        Moment<Memory<float>> momentum, double b1, float learningRate, float weightDecay, float alpha, bool move) =>
        Run(runner, parameter.Length,
            new(parameter, gradient, v, clipScale, momentum, (float)b1, (float)(1 - b1), alpha, -learningRate * weightDecay, move));

    protected override bool IsOn(in Arguments a) => a.MoveParameters;

    protected override void Run<TMove>(FlatChunk chunk, in Arguments a)
    {
        if (a.ExpAvg.IsQuantized)
        {
            RunBlocks<TMove>(chunk, a);
            return;
        }
        Span<float> p = chunk.Of(a.Parameter);
        ReadOnlySpan<float> g = chunk.Of(a.Gradient);
        ReadOnlySpan<float> v = chunk.Of(a.SecondMoment);
        Span<float> m = chunk.Of(a.ExpAvg.Data);
        var clipv = new Vector<float>(a.Clip);
        var b1 = new Vector<float>(a.Beta1);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var alpha = new Vector<float>(a.StepSize);
        var decayv = new Vector<float>(a.Decay);
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
        if (j < count)
            Step<TailLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
    }

    /// <summary>The step with an 8-bit momentum: each block decoded into a stack buffer, stepped, encoded back.</summary>
    private static void RunBlocks<TMove>(FlatChunk chunk, in Arguments a) where TMove : struct, ISwitch
    {
        Span<float> allP = chunk.Of(a.Parameter);
        ReadOnlySpan<float> allG = chunk.Of(a.Gradient), allV = chunk.Of(a.SecondMoment);
        var blocks = new FlatBlocks(chunk, a.ExpAvg);
        Span<float> block = stackalloc float[Blockwise8Bit.BlockSize];
        var clipv = new Vector<float>(a.Clip);
        var b1 = new Vector<float>(a.Beta1);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var alpha = new Vector<float>(a.StepSize);
        var decayv = new Vector<float>(a.Decay);
        for (int k = 0; k < blocks.Count; k += Blockwise8Bit.BlockSize)
        {
            int n = blocks.Length(k);
            Span<float> m = block[..n];
            blocks.Decode(k, m);
            Span<float> p = allP.Slice(k, n);
            ReadOnlySpan<float> g = allG.Slice(k, n), v = allV.Slice(k, n);
            int j = 0;
            for (; j <= n - Simd.Width; j += Simd.Width)
                Step<FullLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
            if (j < n)
                Step<TailLanes, TMove>(p, g, v, m, j, clipv, b1, w1, alpha, decayv);
            blocks.Encode(k, m);
        }
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> Gradient, Memory<float> SecondMoment, float Clip,
        Moment<Memory<float>> ExpAvg, float Beta1, float OneMinusBeta1, float StepSize, float Decay, bool MoveParameters);

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
