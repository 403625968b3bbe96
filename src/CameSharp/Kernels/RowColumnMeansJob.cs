using System.Numerics.Tensors;

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
    private readonly CombineJob combine = new();

    /// <summary>Runs the pass and leaves the means in <paramref name="moment"/>'s factor buffers.</summary>
    protected void Execute(KernelRunner runner, KernelWorkspace workspace, FactoredMoment moment)
    {
        Prepare(moment.Layout);
        target = moment;
        partials = workspace.Partials;
        runner.Run(this, Layout.ChunkCount);
        if (Layout.Splits > 1) combine.Execute(runner, this);
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

    /// <summary>
    /// Adds the row blocks' column partial sums in block order and divides by the row count. Columns are cut into
    /// blocks shared out among the threads; every column's additions keep block order, so any schedule gives the same sums.
    /// </summary>
    private sealed class CombineJob : ChunkJob
    {
        /// <summary>Columns a chunk combines: a few kilobytes, so even a 768-wide matrix keeps both threads busy.</summary>
        private const int BlockColumns = 256;

        private RowColumnMeansJob owner = null!;
        private int blocksPerBatch;

        public void Execute(KernelRunner runner, RowColumnMeansJob job)
        {
            owner = job;
            blocksPerBatch = (job.Layout.Cols + BlockColumns - 1) / BlockColumns;
            runner.Run(this, job.Layout.Batches * blocksPerBatch);
        }

        public override void Run(int chunk)
        {
            var layout = owner.Layout;
            int cols = layout.Cols, splits = layout.Splits;
            int batch = chunk / blocksPerBatch, first = chunk % blocksPerBatch * BlockColumns;
            int count = Math.Min(BlockColumns, cols - first);
            Span<float> means = owner.target.ColFactor.AsSpan(batch * cols + first, count);
            ReadOnlySpan<float> partials = owner.partials;
            partials.Slice(batch * splits * cols + first, count).CopyTo(means);
            for (int s = 1; s < splits; s++)
                TensorPrimitives.Add(means, partials.Slice((batch * splits + s) * cols + first, count), means);
            TensorPrimitives.Divide(means, layout.Rows, means);
        }
    }
}
