namespace CameSharp.Gpu.Kernels;

/// <summary>
/// A tensor of shape [..., R, C] as <see cref="Batches"/> row-major matrices of <see cref="Rows"/> x <see cref="Cols"/>, cut
/// into row blocks of <see cref="RowsPerBlock"/> full rows, one thread group each. A block's tile is read from memory once
/// and re-read from cache, so it is sized to stay in an SM's cache; its column sums go to a partials buffer (or straight to
/// the means when a matrix is one block), combined afterwards in block order. The cut depends on the shape alone.
/// </summary>
internal readonly struct MatrixLayout
{
    /// <summary>Elements of one block's tile: 128 KiB of float32, which an H100 SM's L1 holds beside the group's other data.</summary>
    public const int TileElements = 32768;

    public MatrixLayout(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2) throw new ArgumentException("A factored statistic needs at least two dimensions.", nameof(shape));
        Rows = shape[^2];
        Cols = shape[^1];
        long batches = 1;
        for (int i = 0; i < shape.Length - 2; i++) batches *= shape[i];
        Batches = checked((int)batches);
        RowsPerBlock = Math.Clamp((TileElements + Cols - 1) / Math.Max(1, Cols), 1, Math.Max(1, Rows));
        RowBlocks = (Rows + RowsPerBlock - 1) / RowsPerBlock;
    }

    public int Batches { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int RowsPerBlock { get; }
    public int RowBlocks { get; }

    /// <summary>True when a matrix spans several blocks, whose column sums then go through the partials buffer.</summary>
    public bool Split => RowBlocks > 1;

    /// <summary>Thread groups of a pass: one per row block of every matrix.</summary>
    public int Groups => Batches * RowBlocks;

    /// <summary>Floats of column partial sums one statistic needs (0 when no matrix is split).</summary>
    public long PartialFloats => Split ? (long)Groups * Cols : 0;

    public long Length => (long)Batches * Rows * Cols;

    public MatrixShape Shape => new(Batches, Rows, Cols, RowsPerBlock, RowBlocks);
}

/// <summary>A <see cref="MatrixLayout"/> as kernels take it.</summary>
internal readonly struct MatrixShape(int batches, int rows, int cols, int rowsPerBlock, int rowBlocks)
{
    public readonly int Batches = batches;
    public readonly int Rows = rows;
    public readonly int Cols = cols;
    public readonly int RowsPerBlock = rowsPerBlock;
    public readonly int RowBlocks = rowBlocks;
}
