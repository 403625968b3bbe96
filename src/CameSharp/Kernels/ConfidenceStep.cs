using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass: decoupled weight decay p ← p − η·λ·p, then p ← p − α · m · rsqrt(S) with the instability S in
/// its rank-1 factored form; α is η, times the bias corrections when they are on.
/// </summary>
internal sealed class ConfidenceStep : ChunkJob
{
    private FactoredLayout layout;
    private Memory<float> param, expAvg, rowFactor, colFactor;
    private float stepSize, decay;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> momentum, FactoredMoment instability, float learningRate,
        float weightDecay, float alpha)
    {
        layout = instability.Layout;
        param = parameter;
        expAvg = momentum;
        rowFactor = instability.RowFactor;
        colFactor = instability.ColFactor;
        stepSize = alpha;
        decay = -learningRate * weightDecay;
        runner.Run(this, layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        var alpha = new Vector<float>(stepSize);
        var decayv = new Vector<float>(decay);
        Span<float> allP = param.Span;
        ReadOnlySpan<float> allM = expAvg.Span, rowFactors = rowFactor.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = colFactor.Span.Slice(b * cols, cols);
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
}
