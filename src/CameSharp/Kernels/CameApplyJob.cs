using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's last pass: decoupled weight decay p ← p − η·λ·p, then p ← p − α · m · rsqrt(S) with the
/// instability S in its rank-1 factored form; α is η, times the bias corrections when they are on.
/// </summary>
internal sealed class CameApplyJob : FactoredJob
{
    private Memory<float> param;
    private Memory<float> expAvg;
    private Memory<float> rowFactor, colFactor;
    private float lr, decay;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> momentum, FactoredMoment instability, float learningRate, float weightDecay, float stepSize)
    {
        Prepare(instability.Layout);
        param = parameter;
        expAvg = momentum;
        rowFactor = instability.RowFactor;
        colFactor = instability.ColFactor;
        lr = stepSize;
        decay = -learningRate * weightDecay;
        runner.Run(this, Layout.ChunkCount);
    }

    protected override void ProcessRows(int chunk, int batch, int firstRow, int endRow)
    {
        int cols = Layout.Cols;
        ReadOnlySpan<float> c = colFactor.Span.Slice(batch * cols, cols);
        ReadOnlySpan<float> rowFactors = rowFactor.Span;
        Span<float> all = param.Span;
        ReadOnlySpan<float> allM = expAvg.Span;
        var lrv = new Vector<float>(lr);
        var decayv = new Vector<float>(decay);
        for (int i = firstRow; i < endRow; i++)
        {
            int offset = RowOffset(batch, i);
            Span<float> p = all.Slice(offset, cols);
            ReadOnlySpan<float> m = allM.Slice(offset, cols);
            float r = rowFactors[batch * Layout.Rows + i];
            var rv = new Vector<float>(r);
            int j = 0;
            for (; j <= cols - Simd.Width; j += Simd.Width)
            {
                var pv = Simd.Load(p, j);
                pv += decayv * pv;
                Simd.Store(pv - rv * Simd.Load(c, j) * Simd.Load(m, j) * lrv, p, j);
            }
            for (; j < cols; j++)
            {
                float pj = p[j] + decay * p[j];
                p[j] = pj - r * c[j] * m[j] * lr;
            }
        }
    }
}
