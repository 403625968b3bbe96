using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass: decoupled weight decay p ← p − η·λ·p, then p ← p − α · m · rsqrt(S) with the instability S in
/// its rank-1 factored form; α is η, times the bias corrections when they are on.
/// </summary>
internal sealed class ConfidenceStep : FactoredPass<ConfidenceStep.Arguments>
{
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> momentum, FactoredMoment instability, float learningRate,
        float weightDecay, float alpha) =>
        Run(runner, instability.Layout, new(parameter, momentum, instability.RowFactor, instability.ColFactor, alpha, -learningRate * weightDecay));

    protected override void Run(int chunk, in FactoredLayout layout, in Arguments a)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        var alpha = new Vector<float>(a.StepSize);
        var decayv = new Vector<float>(a.Decay);
        Span<float> allP = a.Parameter.Span;
        ReadOnlySpan<float> allM = a.ExpAvg.Span, rowFactors = a.RowFactor.Span;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes>(Span<float> p, ReadOnlySpan<float> m, ReadOnlySpan<float> c, int j, Vector<float> r, Vector<float> alpha,
        Vector<float> decay) where TLanes : struct, ILanes
    {
        var pv = TLanes.Load(p, j);
        pv += decay * pv;
        TLanes.Store(pv - r * TLanes.Load(c, j) * TLanes.Load(m, j) * alpha, p, j);
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> ExpAvg, Memory<float> RowFactor, Memory<float> ColFactor,
        float StepSize, float Decay);
}
