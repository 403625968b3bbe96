namespace CameSharp.Kernels;

/// <summary>
/// A tensor of shape [..., R, C] seen as <see cref="Batches"/> matrices of <see cref="Rows"/> x <see cref="Cols"/>,
/// cut into chunks that depend on the shape alone. Small matrices are grouped whole into a chunk; a large
/// matrix is split into <see cref="Splits"/> row blocks, whose column sums are kept apart and combined in
/// block order afterwards. Either way no result depends on the number of threads.
/// </summary>
internal readonly struct FactoredLayout
{
    /// <summary>Caps the column partial sums a split matrix needs at about 4 MiB.</summary>
    private const int MaxPartialFloats = 1 << 20;
    private const int MaxSplits = 256;

    public FactoredLayout(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2) throw new ArgumentException("A factored layout needs at least two dimensions.", nameof(shape));
        Rows = shape[^2];
        Cols = shape[^1];
        int batches = 1;
        for (int i = 0; i < shape.Length - 2; i++) batches *= shape[i];
        Batches = batches;

        long matrix = (long)Rows * Cols;
        if (matrix >= 2L * FlatLayout.ChunkElements)
        {
            int wanted = (int)Math.Min(MaxSplits, matrix / FlatLayout.ChunkElements);
            int allowed = Math.Max(1, MaxPartialFloats / Cols);
            int splits = Math.Max(1, Math.Min(Math.Min(wanted, allowed), Rows));
            RowsPerSplit = (Rows + splits - 1) / splits;
            Splits = (Rows + RowsPerSplit - 1) / RowsPerSplit;
            MatricesPerChunk = 1;
            ChunkCount = Batches * Splits;
        }
        else
        {
            RowsPerSplit = Rows;
            Splits = 1;
            MatricesPerChunk = (int)Math.Max(1, FlatLayout.ChunkElements / matrix);
            ChunkCount = (Batches + MatricesPerChunk - 1) / MatricesPerChunk;
        }
    }

    public int Batches { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int Splits { get; }
    public int RowsPerSplit { get; }
    public int MatricesPerChunk { get; }
    public int ChunkCount { get; }

    /// <summary>Column partial sums needed while reducing over rows (zero when no matrix is split).</summary>
    public int PartialFloats => Splits > 1 ? ChunkCount * Cols : 0;

    /// <summary>The matrices and rows a chunk covers.</summary>
    public (int FirstBatch, int EndBatch, int FirstRow, int EndRow) Range(int chunk)
    {
        if (Splits > 1)
        {
            int batch = chunk / Splits;
            int firstRow = chunk % Splits * RowsPerSplit;
            return (batch, batch + 1, firstRow, Math.Min(Rows, firstRow + RowsPerSplit));
        }
        int first = chunk * MatricesPerChunk;
        return (first, Math.Min(Batches, first + MatricesPerChunk), 0, Rows);
    }

    /// <summary>The offset of a row's first element in the flat tensor.</summary>
    public int RowOffset(int batch, int row) => (batch * Rows + row) * Cols;

    /// <summary>
    /// The column sums a chunk writes for matrix <paramref name="batch"/>: its own block of <paramref name="blockSums"/>
    /// when the matrix is split (combined afterwards by <see cref="ColumnSumCombiner"/>), else the matrix's slice of
    /// <paramref name="totals"/>.
    /// </summary>
    public Span<float> ColumnSums(int chunk, int batch, float[] blockSums, Memory<float> totals) =>
        Splits > 1 ? blockSums.AsSpan(chunk * Cols, Cols) : totals.Span.Slice(batch * Cols, Cols);
}
