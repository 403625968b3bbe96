namespace CameSharp.Kernels;

/// <summary>
/// A fused pass that computes, for some elementwise statistic X, the row means and column means of every
/// matrix of a factored tensor into a <see cref="FactoredMoment"/>'s factor buffers (ready for
/// <see cref="FactoredMoment.Commit"/>). Row sums are finished by the chunk owning the row; column sums of
/// a split matrix go to per-block partials, added afterwards in block order, so results are deterministic.
/// Derived jobs define X (and may update other state in the same pass).
/// </summary>
internal abstract class RowColumnMeansJob : FactoredJob
{
    private FactoredMoment target = null!;
    private float[] partials = [];

    /// <summary>Runs the pass and leaves the means in <paramref name="moment"/>'s factor buffers.</summary>
    protected void Execute(KernelRunner runner, KernelWorkspace workspace, FactoredMoment moment)
    {
        Prepare(moment.Layout);
        target = moment;
        partials = workspace.Partials;
        runner.Run(this, Layout.ChunkCount);
        if (Layout.Splits > 1) CombinePartials();
    }

    protected sealed override void ProcessRows(int chunk, int batch, int firstRow, int endRow)
    {
        int cols = Layout.Cols;
        bool split = Layout.Splits > 1;
        Span<float> columnSums = split
            ? partials.AsSpan(chunk * cols, cols)
            : target.ColFactor.AsSpan(batch * cols, cols);
        columnSums.Clear();
        Span<float> rowMeans = target.RowFactor.AsSpan(batch * Layout.Rows + firstRow, endRow - firstRow);
        for (int i = firstRow; i < endRow; i++)
            rowMeans[i - firstRow] = AccumulateRow(batch, i, columnSums) / cols;
        if (!split)
            for (int j = 0; j < cols; j++) columnSums[j] /= Layout.Rows;
    }

    /// <summary>Adds X over row <paramref name="row"/> into <paramref name="columnSums"/> and returns the row's sum of X.</summary>
    protected abstract float AccumulateRow(int batch, int row, Span<float> columnSums);

    private void CombinePartials()
    {
        int cols = Layout.Cols, splits = Layout.Splits;
        for (int b = 0; b < Layout.Batches; b++)
        {
            Span<float> means = target.ColFactor.AsSpan(b * cols, cols);
            partials.AsSpan(b * splits * cols, cols).CopyTo(means);
            for (int s = 1; s < splits; s++)
            {
                ReadOnlySpan<float> part = partials.AsSpan((b * splits + s) * cols, cols);
                for (int j = 0; j < cols; j++) means[j] += part[j];
            }
            for (int j = 0; j < cols; j++) means[j] /= Layout.Rows;
        }
    }
}
