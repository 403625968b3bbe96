namespace CameSharp.Kernels;

/// <summary>
/// Scratch that one parameter's passes use at a time and that all parameters of an optimizer share: column
/// partial sums of split matrices and per-chunk scalar sums. Grown when state is created, never during a step.
/// </summary>
internal sealed class KernelWorkspace
{
    /// <summary>Column sums of each row block of a split matrix, combined in block order afterwards.</summary>
    public float[] Partials { get; private set; } = [];

    /// <summary>A second set of <see cref="Partials"/>, for a pass that sums two statistics over columns.</summary>
    public float[] WeightPartials { get; private set; } = [];

    /// <summary>Per-column totals of that second statistic, one vector per matrix.</summary>
    public float[] ColumnWeights { get; private set; } = [];

    /// <summary>Per-row weights a pass computes from its row means and uses again over the same rows.</summary>
    public float[] RowWeights { get; private set; } = [];

    /// <summary>Per-chunk sums (two slots a chunk), combined in chunk order afterwards.</summary>
    public double[] ChunkSums { get; private set; } = [];

    public long Bytes => 4L * (Partials.Length + WeightPartials.Length + ColumnWeights.Length + RowWeights.Length) + 8L * ChunkSums.Length;

    /// <summary>Reserves what the passes over a tensor of <paramref name="shape"/> need, factored or flat.</summary>
    public void Reserve(ReadOnlySpan<int> shape)
    {
        int length = 1;
        foreach (int d in shape) length = checked(length * d);
        int chunks = new FlatLayout(length).ChunkCount;
        if (ChunkSums.Length < 2 * chunks) ChunkSums = new double[2 * chunks];
        if (shape.Length < 2) return;
        var layout = new FactoredLayout(shape);
        Partials = Grown(Partials, layout.PartialFloats);
        WeightPartials = Grown(WeightPartials, layout.PartialFloats);
        ColumnWeights = Grown(ColumnWeights, layout.Batches * layout.Cols);
        RowWeights = Grown(RowWeights, layout.Batches * layout.Rows);
    }

    /// <summary>Adds up slot <paramref name="slot"/> of the first <paramref name="chunks"/> chunks, in chunk order.</summary>
    public double Total(int chunks, int slot = 0)
    {
        double total = 0;
        for (int c = 0; c < chunks; c++) total += ChunkSums[2 * c + slot];
        return total;
    }

    private static float[] Grown(float[] current, int length) => current.Length < length ? new float[length] : current;
}
