namespace CameSharp.Kernels;

/// <summary>A pass over a factored tensor, chunked by <see cref="FactoredLayout"/>, that works a row at a time.</summary>
internal abstract class FactoredJob : ChunkJob
{
    protected FactoredLayout Layout { get; private set; }

    protected void Prepare(FactoredLayout layout) => Layout = layout;

    public override void Run(int chunk)
    {
        var (firstBatch, endBatch, firstRow, endRow) = Layout.Range(chunk);
        for (int b = firstBatch; b < endBatch; b++)
            ProcessRows(chunk, b, firstRow, endRow);
    }

    /// <summary>Processes rows [firstRow, endRow) of matrix <paramref name="batch"/>, which belong to <paramref name="chunk"/>.</summary>
    protected abstract void ProcessRows(int chunk, int batch, int firstRow, int endRow);

    /// <summary>The offset of a row's first element in the flat tensor.</summary>
    protected int RowOffset(int batch, int row) => (batch * Layout.Rows + row) * Layout.Cols;
}
