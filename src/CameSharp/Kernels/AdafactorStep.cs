using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// Adafactor's last pass over a 1-D tensor with its full second moment v: u = scale · g · rsqrt(v) (scale = η · clip),
/// optional momentum m ← β1·m + (1 − β1)·u (then u = m), and p ← p − decay·p − u (decay = η·λ).
/// <see cref="FactoredAdafactorStep"/> runs the same elements a row at a time.
/// </summary>
internal sealed class AdafactorStep : ModalFlatPass<AdafactorStep.Arguments>
{
    /// <summary>Steps with momentum when <paramref name="momentum"/> is not empty.</summary>
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> v, float updateScale,
        Moment<Memory<float>> momentum, double b1, float weightDecay) =>
        Run(runner, parameter.Length, new(parameter, gradient, v, updateScale, momentum, b1, -weightDecay));

    protected override bool IsOn(in Arguments a) => !a.ExpAvg.Data.IsEmpty;

    protected override void Run<TMomentum>(FlatChunk chunk, in Arguments a)
    {
        if (TMomentum.IsOn && a.ExpAvg.IsQuantized)
            UpdateBlocks<RsqrtOf>(chunk.Of(a.Parameter), chunk.Of(a.Gradient), chunk.Of(a.SecondMoment), a.Scale,
                MemoryMarshal.AsBytes(a.ExpAvg.Data.Span).Slice(chunk.Start, chunk.Count), a.ExpAvg.Absmax.Span, chunk.Start / Blockwise8Bit.BlockSize,
                a.Beta1, a.Decay);
        else
            Update<RsqrtOf, TMomentum>(chunk.Of(a.Parameter), chunk.Of(a.Gradient), chunk.Of(a.SecondMoment), a.Scale,
                TMomentum.IsOn ? chunk.Of(a.ExpAvg.Data) : default, a.Beta1, a.Decay);
    }

    /// <summary>
    /// <see cref="Update"/> with momentum over a span whose momentum is 8-bit: each block of <paramref name="codes"/>
    /// (whose absmax is <paramref name="absmax"/>[<paramref name="firstBlock"/> + k]) decoded into a stack buffer,
    /// stepped, and encoded back.
    /// </summary>
    public static void UpdateBlocks<TDenominator>(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> denominator, float scale,
        Span<byte> codes, Span<float> absmax, int firstBlock, double beta1, float decay) where TDenominator : struct, IDenominator
    {
        Span<float> block = stackalloc float[Blockwise8Bit.BlockSize];
        for (int k = 0, index = firstBlock; k < p.Length; k += Blockwise8Bit.BlockSize, index++)
        {
            int n = Math.Min(Blockwise8Bit.BlockSize, p.Length - k);
            Span<float> m = block[..n];
            Span<byte> blockCodes = codes.Slice(k, n);
            BlockCodec.Decode<SignedCode>(blockCodes, absmax[index], m);
            Update<TDenominator, On>(p.Slice(k, n), g.Slice(k, n), denominator.Slice(k, n), scale, m, beta1, decay);
            absmax[index] = BlockCodec.Encode<SignedCode>(m, blockCodes);
        }
    }

    /// <summary>
    /// The step over a span: u_j = scale · d_j · g_j, d being <typeparamref name="TDenominator"/> over
    /// <paramref name="denominator"/>; with <typeparamref name="TMomentum"/> m ← β1·m + (1 − β1)·u and u = m; then
    /// p ← p + decay·p − u.
    /// </summary>
    public static void Update<TDenominator, TMomentum>(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> denominator, float scale,
        Span<float> m, double beta1, float decay) where TDenominator : struct, IDenominator where TMomentum : struct, ISwitch
    {
        var s = new Vector<float>(scale);
        var b1 = new Vector<float>((float)beta1);
        var w1 = new Vector<float>((float)(1 - beta1));
        var d = new Vector<float>(decay);
        int j = 0;
        for (; j <= p.Length - Simd.Width; j += Simd.Width)
            Step<FullLanes, TDenominator, TMomentum>(p, g, denominator, m, j, s, b1, w1, d);
        if (j < p.Length)
            Step<TailLanes, TDenominator, TMomentum>(p, g, denominator, m, j, s, b1, w1, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes, TDenominator, TMomentum>(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> denominator,
        Span<float> m, int j, Vector<float> scale, Vector<float> beta1, Vector<float> oneMinusBeta1, Vector<float> decay)
        where TLanes : struct, ILanes where TDenominator : struct, IDenominator where TMomentum : struct, ISwitch
    {
        var u = scale * TDenominator.Load<TLanes>(denominator, j) * TLanes.Load(g, j);
        if (TMomentum.IsOn)
        {
            u = TLanes.Load(m, j) * beta1 + oneMinusBeta1 * u;
            TLanes.Store(u, m, j);
        }
        var pv = TLanes.Load(p, j);
        pv += decay * pv;
        TLanes.Store(pv - u, p, j);
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> Gradient, Memory<float> SecondMoment, float Scale,
        Moment<Memory<float>> ExpAvg, double Beta1, float Decay);
}
