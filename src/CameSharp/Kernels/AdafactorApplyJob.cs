using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// Adafactor's last pass over a factored tensor: u = scale · g · r_i · c_j (scale = η · clip), optional momentum
/// m ← β1·m + (1 − β1)·u (then u = m), decoupled decay p ← p − decay·p (decay = η·λ), and p ← p − u.
/// </summary>
internal sealed class AdafactorApplyJob : FactoredJob
{
    private Memory<float> param, grad;
    private Memory<float> expAvg;
    private Memory<float> rowFactor, colFactor;
    private double beta1;
    private float scale, decay;

    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, FactoredMoment secondMoment,
        float updateScale, Memory<float> momentum, double b1, float weightDecay)
    {
        Prepare(secondMoment.Layout);
        param = parameter;
        grad = gradient;
        rowFactor = secondMoment.RowFactor;
        colFactor = secondMoment.ColFactor;
        scale = updateScale;
        expAvg = momentum;
        beta1 = b1;
        decay = -weightDecay;
        runner.Run(this, Layout.ChunkCount);
    }

    protected override void ProcessRows(int chunk, int batch, int firstRow, int endRow)
    {
        int cols = Layout.Cols;
        ReadOnlySpan<float> c = colFactor.Span.Slice(batch * cols, cols);
        ReadOnlySpan<float> rowFactors = rowFactor.Span;
        Span<float> allP = param.Span;
        ReadOnlySpan<float> allG = grad.Span;
        Span<float> allM = expAvg.Span;
        for (int i = firstRow; i < endRow; i++)
        {
            int offset = RowOffset(batch, i);
            float rs = rowFactors[batch * Layout.Rows + i] * scale;
            ElementwiseUpdate.Adafactor<Factors>(allP.Slice(offset, cols), allG.Slice(offset, cols), c, rs,
                allM.IsEmpty ? default : allM.Slice(offset, cols), !allM.IsEmpty, beta1, decay);
        }
    }
}
