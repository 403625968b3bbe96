using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// torch.optim.AdamW as one fused pass: p ← p·(1 − η·λ); m ← m + (1 − β1)(g − m); v ← β2·v + (1 − β2)·g²;
/// p ← p − (η / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε). At η = 0 the moments advance and p is not written,
/// so that it stays bitwise as it was (the formula would turn −0 into +0, or 0·∞ into NaN where v and ε are 0).
/// </summary>
internal sealed class AdamWStep : ModalFlatPass<AdamWStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Moment<Memory<float>> m, Moment<Memory<float>> v,
        float decay, double b1, double b2, float alpha, float correction2Sqrt, float epsilon, bool move) =>
        Run(runner, parameter.Length,
            new(parameter, gradient, m, v, decay, (float)(1 - b1), (float)b2, (float)(1 - b2), alpha, correction2Sqrt, epsilon, move));

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
        Span<float> m = chunk.Of(a.ExpAvg.Data);
        Span<float> v = chunk.Of(a.ExpAvgSq.Data);
        var decay = new Vector<float>(a.DecayFactor);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var b2 = new Vector<float>(a.Beta2);
        var w2 = new Vector<float>(a.OneMinusBeta2);
        var alpha = new Vector<float>(a.StepSize);
        var bc2 = new Vector<float>(a.Correction2Sqrt);
        var epsv = new Vector<float>(a.Eps);
        int j = 0, count = chunk.Count;
        for (; j <= count - Simd.Width; j += Simd.Width)
            Step<FullLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
        if (j < count)
            Step<TailLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
    }

    /// <summary>
    /// With 8-bit moments (both are, or neither: they share a tensor's shape): each block of m and v decoded into stack
    /// buffers, stepped (p from the updated moments before they are encoded), and encoded back.
    /// </summary>
    private static void RunBlocks<TMove>(FlatChunk chunk, in Arguments a) where TMove : struct, ISwitch
    {
        Span<float> allP = chunk.Of(a.Parameter);
        ReadOnlySpan<float> allG = chunk.Of(a.Gradient);
        var blocks = new FlatBlocks(chunk, a.ExpAvg, a.ExpAvgSq);
        Span<float> mBlock = stackalloc float[Blockwise8Bit.BlockSize], vBlock = stackalloc float[Blockwise8Bit.BlockSize];
        var decay = new Vector<float>(a.DecayFactor);
        var w1 = new Vector<float>(a.OneMinusBeta1);
        var b2 = new Vector<float>(a.Beta2);
        var w2 = new Vector<float>(a.OneMinusBeta2);
        var alpha = new Vector<float>(a.StepSize);
        var bc2 = new Vector<float>(a.Correction2Sqrt);
        var epsv = new Vector<float>(a.Eps);
        for (int k = 0; k < blocks.Count; k += Blockwise8Bit.BlockSize)
        {
            int n = blocks.Length(k);
            Span<float> m = mBlock[..n], v = vBlock[..n];
            blocks.Decode(k, m, v);
            Span<float> p = allP.Slice(k, n);
            ReadOnlySpan<float> g = allG.Slice(k, n);
            int j = 0;
            for (; j <= n - Simd.Width; j += Simd.Width)
                Step<FullLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
            if (j < n)
                Step<TailLanes, TMove>(p, g, m, v, j, decay, w1, b2, w2, alpha, bc2, epsv);
            blocks.Encode(k, m, v);
        }
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> Gradient, Moment<Memory<float>> ExpAvg, Moment<Memory<float>> ExpAvgSq,
        float DecayFactor, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize, float Correction2Sqrt, float Eps,
        bool MoveParameters);

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
