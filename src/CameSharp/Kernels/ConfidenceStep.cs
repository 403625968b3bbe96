using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass: decoupled weight decay p ← p − η·λ·p, then p ← p − α · m · rsqrt(S) with the instability S in
/// its rank-1 factored form; α is η, times the bias corrections when they are on.
/// </summary>
internal sealed class ConfidenceStep : FactoredPass<ConfidenceStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Moment<Memory<float>> momentum, FactoredMoment instability, float learningRate,
        float weightDecay, float alpha) =>
        Run(runner, instability.Layout, new(parameter, momentum, instability.RowFactor, instability.ColFactor, alpha, -learningRate * weightDecay));

    protected override void Run(int chunk, in FactoredLayout layout, in Arguments a)
    {
        if (a.ExpAvg.IsQuantized)
        {
            RunBlocks(chunk, layout, a);
            return;
        }
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        var alpha = new Vector<float>(a.StepSize);
        var decayv = new Vector<float>(a.Decay);
        Span<float> allP = a.Parameter.Span;
        ReadOnlySpan<float> allM = a.ExpAvg.Data.Span, rowFactors = a.RowFactor.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = a.ColFactor.Span.Slice(b * cols, cols);
            for (int i = firstRow; i < endRow; i++)
            {
                int offset = layout.RowOffset(b, i);
                Span<float> p = allP.Slice(offset, cols);
                ReadOnlySpan<float> m = allM.Slice(offset, cols);
                var r = new Vector<float>(rowFactors[b * layout.Rows + i]);
                int j = 0;
                for (; j <= cols - Simd.Width; j += Simd.Width)
                    Step<FullLanes>(p, m, c, j, r, alpha, decayv);
                if (j < cols)
                    Step<TailLanes>(p, m, c, j, r, alpha, decayv);
            }
        }
    }

    /// <summary>The step with an 8-bit momentum, decoded a block at a time into a stack buffer.</summary>
    private static void RunBlocks(int chunk, in FactoredLayout layout, in Arguments a)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols, blocksPerRow = (cols + Blockwise8Bit.BlockSize - 1) / Blockwise8Bit.BlockSize;
        var alpha = new Vector<float>(a.StepSize);
        var decayv = new Vector<float>(a.Decay);
        Span<float> block = stackalloc float[Blockwise8Bit.BlockSize];
        Span<float> allP = a.Parameter.Span;
        ReadOnlySpan<byte> allCodes = MemoryMarshal.AsBytes(a.ExpAvg.Data.Span);
        ReadOnlySpan<float> absmax = a.ExpAvg.Absmax.Span, rowFactors = a.RowFactor.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = a.ColFactor.Span.Slice(b * cols, cols);
            for (int i = firstRow; i < endRow; i++)
            {
                int row = b * layout.Rows + i, offset = layout.RowOffset(b, i);
                var r = new Vector<float>(rowFactors[row]);
                for (int k = 0, index = row * blocksPerRow; k < cols; k += Blockwise8Bit.BlockSize, index++)
                {
                    int n = Math.Min(Blockwise8Bit.BlockSize, cols - k);
                    Span<float> m = block[..n];
                    BlockCodec.Decode<SignedCode>(allCodes.Slice(offset + k, n), absmax[index], m);
                    Span<float> p = allP.Slice(offset + k, n);
                    ReadOnlySpan<float> ck = c.Slice(k, n);
                    int j = 0;
                    for (; j <= n - Simd.Width; j += Simd.Width)
                        Step<FullLanes>(p, m, ck, j, r, alpha, decayv);
                    if (j < n)
                        Step<TailLanes>(p, m, ck, j, r, alpha, decayv);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes>(Span<float> p, ReadOnlySpan<float> m, ReadOnlySpan<float> c, int j, Vector<float> r, Vector<float> alpha,
        Vector<float> decay) where TLanes : struct, ILanes
    {
        var pv = TLanes.Load(p, j);
        pv += decay * pv;
        TLanes.Store(pv - r * TLanes.Load(c, j) * TLanes.Load(m, j) * alpha, p, j);
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Moment<Memory<float>> ExpAvg, Memory<float> RowFactor, Memory<float> ColFactor,
        float StepSize, float Decay);
}
