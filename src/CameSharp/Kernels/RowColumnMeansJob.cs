using System.Numerics.Tensors;

namespace CameSharp.Kernels;

/// <summary>
/// A fused pass that computes, for some elementwise statistic X, the row means and column means of every
/// matrix of a factored tensor into a <see cref="FactoredMoment"/>'s factor buffers (ready for
/// <see cref="FactoredMoment.Commit"/>). Row sums are finished by the chunk owning the row; column sums of
/// a split matrix go to per-block partials, added afterwards in block order, so results are deterministic.
/// Derived jobs define X (and may update other state, or sum more over columns, in the same pass).
/// </summary>
internal abstract class RowColumnMeansJob : FactoredJob
{
    private FactoredMoment target;
    private float[] partials = [];
    private readonly CombineJob combine = new();

    /// <summary>Runs the pass and leaves the means in <paramref name="moment"/>'s factor buffers.</summary>
    protected void Execute(KernelRunner runner, KernelWorkspace workspace, FactoredMoment moment)
    {
        Prepare(moment.Layout);
        target = moment;
        partials = workspace.Partials;
        runner.Run(this, Layout.ChunkCount);
        if (Layout.Splits > 1) combine.Execute(runner, Layout, partials, target.ColFactor, toMeans: true);
    }

    /// <summary>Adds the per-block column sums in <paramref name="blockSums"/> into <paramref name="totals"/> after a split pass.</summary>
    protected void CombineColumnSums(KernelRunner runner, float[] blockSums, Memory<float> totals)
    {
        if (Layout.Splits > 1) combine.Execute(runner, Layout, blockSums, totals, toMeans: false);
    }

    protected sealed override void ProcessRows(int chunk, int batch, int firstRow, int endRow)
    {
        Span<float> columnSums = ColumnSums(chunk, batch, partials, target.ColFactor);
        Span<float> rowMeans = target.RowFactor.Span.Slice(batch * Layout.Rows + firstRow, endRow - firstRow);
        AccumulateRows(chunk, batch, firstRow, endRow, rowMeans, columnSums);
        if (Layout.Splits == 1) TensorPrimitives.Divide(columnSums, Layout.Rows, columnSums);
    }

    /// <summary>
    /// The column sums a chunk writes for matrix <paramref name="batch"/>: its own block of <paramref name="blockSums"/>
    /// when the matrix is split, else the matrix's slice of <paramref name="totals"/>.
    /// </summary>
    protected Span<float> ColumnSums(int chunk, int batch, float[] blockSums, Memory<float> totals) =>
        Layout.Splits > 1
            ? blockSums.AsSpan(chunk * Layout.Cols, Layout.Cols)
            : totals.Span.Slice(batch * Layout.Cols, Layout.Cols);

    /// <summary>
    /// Over rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of matrix <paramref name="batch"/>: writes each
    /// row's mean of X into <paramref name="rowMeans"/> and each column's sum of X into <paramref name="columnSums"/>
    /// (which holds whatever the last pass left), adding rows in ascending order, so a column's sum never depends on how
    /// the work was cut.
    /// </summary>
    protected abstract void AccumulateRows(int chunk, int batch, int firstRow, int endRow, Span<float> rowMeans, Span<float> columnSums);

    /// <summary>
    /// Adds the row blocks' column partial sums in block order (and divides by the row count for means). Columns are
    /// cut into blocks shared out among the threads; every column's additions keep block order, so any schedule gives
    /// the same sums.
    /// </summary>
    private sealed class CombineJob : ChunkJob
    {
        /// <summary>Columns a chunk combines: a few kilobytes, so even a 768-wide matrix keeps both threads busy.</summary>
        private const int BlockColumns = 256;

        private FactoredLayout layout;
        private float[] partials = [];
        private Memory<float> totals;
        private bool toMeans;
        private int blocksPerBatch;

        public void Execute(KernelRunner runner, FactoredLayout matrices, float[] blockSums, Memory<float> columnTotals, bool toMeans)
        {
            layout = matrices;
            partials = blockSums;
            totals = columnTotals;
            this.toMeans = toMeans;
            blocksPerBatch = (layout.Cols + BlockColumns - 1) / BlockColumns;
            runner.Run(this, layout.Batches * blocksPerBatch);
        }

        public override void Run(int chunk)
        {
            int cols = layout.Cols, splits = layout.Splits;
            int batch = chunk / blocksPerBatch, first = chunk % blocksPerBatch * BlockColumns;
            int count = Math.Min(BlockColumns, cols - first);
            Span<float> sums = totals.Span.Slice(batch * cols + first, count);
            ReadOnlySpan<float> blocks = partials;
            blocks.Slice(batch * splits * cols + first, count).CopyTo(sums);
            for (int s = 1; s < splits; s++)
                TensorPrimitives.Add(sums, blocks.Slice((batch * splits + s) * cols + first, count), sums);
            if (toMeans) TensorPrimitives.Divide(sums, layout.Rows, sums);
        }
    }
}
