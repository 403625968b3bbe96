using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// The first pass of Adafactor and CAME over a factored tensor (optax's <c>scale_by_factored_rms</c> statistics): row
/// and column means of g² + ε1, and in the same pass Σ u² for the update u = g / √v̂ that those means will produce,
/// which the RMS clip needs. Σ u² would otherwise take a second pass over g once v̂ is known. It can be had early
/// because v̂_ij = r_i c_j / mean(r) is rank 1: Σ u² = mean(r) · Σ_j (1 / c_j) · Σ_i g_ij² / r_i, where r_i (the
/// row's new EMA) is known as soon as row i has been read, so the pass keeps W_j = Σ_i g_ij² / r_i beside the
/// column sums, and <see cref="FactoredMoment.UpdateSquareSum"/> finishes it once the column means are in.
/// </summary>
/// <remarks>
/// The means go to the moment's factor vectors, which <see cref="FactoredMoment.Commit"/> later turns into factors in
/// place: the backend seam (<see cref="IKernels{TTensor, TScalar}"/>) keeps them there between passes, so that a
/// parameter needs no scratch of its own. Row and column sums of a chunk are finished by the chunk owning the row;
/// column sums of a split matrix go to per-block partials, added afterwards in block order, so results are deterministic.
/// </remarks>
internal sealed class FactoredSquareMeans : ChunkJob
{
    /// <summary>Vectors of columns summed at once down a chunk's rows, kept in registers.</summary>
    private const int BlockVectors = 4;

    private readonly ColumnSumCombiner combiner = new();
    private FactoredLayout layout;
    private Memory<float> grad, rowEma, rowMeans, columnMeans;
    private float eps1, beta, oneMinusBeta;
    private float[] partials = [], rowWeights = [], weightPartials = [], columnWeights = [];

    /// <summary>
    /// Leaves this step's row and column means of g² + ε1 in <paramref name="moment"/>'s factor vectors and returns
    /// Σ u² of the unclipped update that they give once committed with decay <paramref name="beta2"/>.
    /// </summary>
    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, float epsilon1, double beta2,
        FactoredMoment moment)
    {
        layout = moment.Layout;
        grad = gradient;
        eps1 = epsilon1;
        rowEma = moment.Row;
        rowMeans = moment.RowFactor;
        columnMeans = moment.ColFactor;
        (beta, oneMinusBeta) = FactoredMoment.EmaWeights(beta2);
        partials = workspace.Partials;
        rowWeights = workspace.RowWeights;
        weightPartials = workspace.WeightPartials;
        columnWeights = workspace.ColumnWeights;
        runner.Run(this, layout.ChunkCount);
        combiner.Combine(runner, layout, partials, columnMeans, toMeans: true);
        combiner.Combine(runner, layout, weightPartials, columnWeights, toMeans: false);
        return moment.UpdateSquareSum(beta2, columnWeights);
    }

    public override void Run(int chunk)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        for (int b = firstBatch; b < endBatch; b++)
            SumRows(chunk, b, firstRow, endRow);
    }

    /// <summary>Row means, and column sums in ascending row order, of rows [firstRow, endRow) of matrix <paramref name="batch"/>.</summary>
    private void SumRows(int chunk, int batch, int firstRow, int endRow)
    {
        int cols = layout.Cols, rows = endRow - firstRow;
        ReadOnlySpan<float> g = grad.Span.Slice(layout.RowOffset(batch, firstRow), rows * cols);
        ReadOnlySpan<float> ema = rowEma.Span.Slice(batch * layout.Rows + firstRow, rows);
        Span<float> means = rowMeans.Span.Slice(batch * layout.Rows + firstRow, rows);
        Span<float> weights = rowWeights.AsSpan(batch * layout.Rows + firstRow, rows);
        var eps = new Vector<float>(eps1);

        // Row by row, straight from memory: the row means, and 1 / r_i with r_i the row's EMA as Commit will form it.
        for (int i = 0; i < rows; i++)
        {
            means[i] = RowSum(g.Slice(i * cols, cols), eps) / cols;
            weights[i] = 1f / FactoredMoment.EmaOf(ema[i], means[i], beta, oneMinusBeta);
        }

        // Then down the columns of the chunk, now in cache: Σ_i (g² + ε1) and Σ_i g² / r_i, in row order.
        Span<float> columnSums = layout.ColumnSums(chunk, batch, partials, columnMeans);
        Span<float> weighted = layout.ColumnSums(chunk, batch, weightPartials, columnWeights);
        ref float g0 = ref MemoryMarshal.GetReference(g);
        int width = Simd.Width, j = 0;
        for (; j <= cols - BlockVectors * width; j += BlockVectors * width)
            SumColumnBlock(ref g0, j, rows, cols, weights, eps, columnSums, weighted);
        for (; j <= cols - width; j += width)
            SumColumns<FullLanes>(g, j, rows, cols, weights, eps, columnSums, weighted);
        if (j < cols)
            SumColumns<TailLanes>(g, j, rows, cols, weights, eps, columnSums, weighted);
        if (layout.Splits == 1) TensorPrimitives.Divide(columnSums, layout.Rows, columnSums);
    }

    private static float RowSum(ReadOnlySpan<float> g, Vector<float> eps)
    {
        var sum = Vector<float>.Zero;
        int j = 0;
        for (; j <= g.Length - Simd.Width; j += Simd.Width)
            sum += SquarePlusEps<FullLanes>(g, j, eps);
        float total = Simd.Sum(sum);
        if (j < g.Length)
            total += Simd.Sum(SquarePlusEps<TailLanes>(g, j, eps));
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> SquarePlusEps<TLanes>(ReadOnlySpan<float> g, int j, Vector<float> eps) where TLanes : struct, ILanes
    {
        var gv = TLanes.Load(g, j);
        return TLanes.Only(gv * gv + eps, g.Length - j);
    }

    /// <summary>One row's terms of both column sums: (g² + ε1) and g² / r_i, from s = g².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(Vector<float> s, Vector<float> rowWeight, Vector<float> eps, ref Vector<float> sum, ref Vector<float> weightedSum)
    {
        sum += s + eps;
        weightedSum += rowWeight * s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumColumnBlock(ref float g0, int column, int rows, int cols, ReadOnlySpan<float> weights, Vector<float> eps,
        Span<float> columnSums, Span<float> weighted)
    {
        int width = Simd.Width;
        Vector<float> x0 = default, x1 = default, x2 = default, x3 = default;
        Vector<float> w0 = default, w1 = default, w2 = default, w3 = default;
        for (int i = 0; i < rows; i++)
        {
            var r = new Vector<float>(weights[i]);
            nuint at = (nuint)(i * cols + column);
            AddRow(Square(ref g0, at), r, eps, ref x0, ref w0);
            AddRow(Square(ref g0, at + (nuint)width), r, eps, ref x1, ref w1);
            AddRow(Square(ref g0, at + (nuint)(2 * width)), r, eps, ref x2, ref w2);
            AddRow(Square(ref g0, at + (nuint)(3 * width)), r, eps, ref x3, ref w3);
        }
        Simd.Store(x0, columnSums, column);
        Simd.Store(x1, columnSums, column + width);
        Simd.Store(x2, columnSums, column + 2 * width);
        Simd.Store(x3, columnSums, column + 3 * width);
        Simd.Store(w0, weighted, column);
        Simd.Store(w1, weighted, column + width);
        Simd.Store(w2, weighted, column + 2 * width);
        Simd.Store(w3, weighted, column + 3 * width);
    }

    /// <summary>
    /// The column sums of one vector of columns. Tail lanes past the row's end read the next row's elements (or zeros
    /// past the chunk's end); they stay in their own lanes, which are never stored.
    /// </summary>
    private static void SumColumns<TLanes>(ReadOnlySpan<float> g, int column, int rows, int cols, ReadOnlySpan<float> weights,
        Vector<float> eps, Span<float> columnSums, Span<float> weighted) where TLanes : struct, ILanes
    {
        Vector<float> x = default, w = default;
        for (int i = 0; i < rows; i++)
        {
            var gv = TLanes.Load(g, i * cols + column);
            AddRow(gv * gv, new Vector<float>(weights[i]), eps, ref x, ref w);
        }
        TLanes.Store(x, columnSums, column);
        TLanes.Store(w, weighted, column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Square(ref float g0, nuint at)
    {
        var v = Vector.LoadUnsafe(ref g0, at);
        return v * v;
    }
}
