using System.Numerics.Tensors;

namespace CameSharp.Kernels;

/// <summary>
/// After a pass over a split matrix, adds the row blocks' column partial sums in block order (and divides by the row
/// count for means). Columns are cut into blocks shared out among the threads; every column's additions keep block
/// order, so any schedule gives the same sums.
/// </summary>
internal sealed class ColumnSumCombiner : ChunkJob
{
    /// <summary>Columns a chunk combines: a few kilobytes, so even a 768-wide matrix keeps both threads busy.</summary>
    private const int BlockColumns = 256;

    private FactoredLayout layout;
    private float[] partials = [];
    private Memory<float> totals;
    private bool toMeans;
    private int blocksPerBatch;

    /// <summary>
    /// Adds <paramref name="blockSums"/> into <paramref name="columnTotals"/>; nothing to do when no matrix is split, since
    /// then the pass wrote the totals itself (see <see cref="FactoredLayout.ColumnSums"/>).
    /// </summary>
    public void Combine(KernelRunner runner, FactoredLayout matrices, float[] blockSums, Memory<float> columnTotals, bool toMeans)
    {
        if (matrices.Splits == 1) return;
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
