namespace CameSharp.Kernels;

/// <summary>
/// Adafactor's last pass over a factored tensor: <see cref="AdafactorStep.Update"/> row by row, the row's factor folded
/// into the scale (scale = η · clip · r_i) and the column factors as the denominator.
/// </summary>
internal sealed class FactoredAdafactorStep : ChunkJob
{
    private FactoredLayout layout;
    private Memory<float> param, grad, expAvg, rowFactor, colFactor;
    private double beta1;
    private float scale, decay;

    /// <summary>Steps with momentum when <paramref name="momentum"/> is not empty.</summary>
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, FactoredMoment secondMoment,
        float updateScale, Memory<float> momentum, double b1, float weightDecay)
    {
        layout = secondMoment.Layout;
        param = parameter;
        grad = gradient;
        rowFactor = secondMoment.RowFactor;
        colFactor = secondMoment.ColFactor;
        scale = updateScale;
        expAvg = momentum;
        beta1 = b1;
        decay = -weightDecay;
        runner.Run(this, layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        if (expAvg.IsEmpty) Run<Off>(chunk);
        else Run<On>(chunk);
    }

    private void Run<TMomentum>(int chunk) where TMomentum : struct, ISwitch
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        ReadOnlySpan<float> rowFactors = rowFactor.Span;
        Span<float> allP = param.Span, allM = expAvg.Span;
        ReadOnlySpan<float> allG = grad.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = colFactor.Span.Slice(b * cols, cols);
            for (int i = firstRow; i < endRow; i++)
            {
                int offset = layout.RowOffset(b, i);
                float rowScale = rowFactors[b * layout.Rows + i] * scale;
                AdafactorStep.Update<Factors, TMomentum>(allP.Slice(offset, cols), allG.Slice(offset, cols), c, rowScale,
                    TMomentum.IsOn ? allM.Slice(offset, cols) : default, beta1, decay);
            }
        }
    }
}
