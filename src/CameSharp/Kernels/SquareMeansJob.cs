using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// The first pass of Adafactor and CAME over a factored tensor: row and column means of g² + ε1 (the statistic
/// behind the second moment), and in the same pass Σ u² for the update u = g / √v̂ that those means will produce,
/// which the RMS clip needs. Σ u² would otherwise take a second pass over g once v̂ is known. It can be had early
/// because v̂_ij = r_i c_j / mean(r) is rank 1: Σ u² = mean(r) · Σ_j (1 / c_j) · Σ_i g_ij² / r_i, where r_i (the
/// row's new EMA) is known as soon as row i has been read, so the pass keeps W_j = Σ_i g_ij² / r_i beside the
/// column sums, and <see cref="FactoredMoment.UpdateSquareSum"/> finishes it once the column means are in.
/// </summary>
internal sealed class SquareMeansJob : RowColumnMeansJob
{
    /// <summary>Vectors of columns summed at once down a chunk's rows, kept in registers.</summary>
    private const int BlockVectors = 4;

    private Memory<float> grad;
    private Memory<float> rowEma;
    private float eps1, beta, rest;
    private float[] rowWeights = [], weightPartials = [], columnWeights = [];

    /// <summary>
    /// Leaves this step's row and column means of g² + ε1 in <paramref name="moment"/>'s factor buffers and returns
    /// Σ u² of the unclipped update that they give once committed with decay <paramref name="beta2"/>.
    /// </summary>
    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, float epsilon1, double beta2,
        FactoredMoment moment)
    {
        grad = gradient;
        eps1 = epsilon1;
        rowEma = moment.Row;
        (beta, rest) = FactoredMoment.EmaWeights(beta2);
        rowWeights = workspace.RowWeights;
        weightPartials = workspace.WeightPartials;
        columnWeights = workspace.ColumnWeights;
        Execute(runner, workspace, moment);
        CombineColumnSums(runner, weightPartials, columnWeights);
        return moment.UpdateSquareSum(beta2, columnWeights);
    }

    protected override void AccumulateRows(int chunk, int batch, int firstRow, int endRow, Span<float> rowMeans, Span<float> columnSums)
    {
        int cols = Layout.Cols, rows = endRow - firstRow;
        ReadOnlySpan<float> g = grad.Span.Slice(RowOffset(batch, firstRow), rows * cols);
        ReadOnlySpan<float> ema = rowEma.Span.Slice(batch * Layout.Rows + firstRow, rows);
        Span<float> weights = rowWeights.AsSpan(batch * Layout.Rows + firstRow, rows);

        // Row by row, straight from memory: the row means, and 1 / r_i with r_i the row's EMA as Commit will form it.
        for (int i = 0; i < rows; i++)
        {
            rowMeans[i] = RowSum(g.Slice(i * cols, cols)) / cols;
            weights[i] = 1f / FactoredMoment.EmaOf(ema[i], rowMeans[i], beta, rest);
        }

        // Then down the columns of the chunk, now in cache: Σ_i (g² + ε1) and Σ_i g² / r_i, in row order.
        Span<float> weighted = ColumnSums(chunk, batch, weightPartials, columnWeights);
        ref float g0 = ref MemoryMarshal.GetReference(g);
        int width = Simd.Width, j = 0;
        for (; j <= cols - BlockVectors * width; j += BlockVectors * width)
            SumColumnBlock(ref g0, j, rows, cols, weights, columnSums, weighted);
        for (; j <= cols - width; j += width)
            SumColumnVector(ref g0, j, rows, cols, weights, columnSums, weighted);
        for (; j < cols; j++)
        {
            float x = 0, w = 0;
            for (int i = 0; i < rows; i++)
            {
                float gi = g[i * cols + j];
                x += gi * gi + eps1;
                w += weights[i] * (gi * gi);
            }
            columnSums[j] = x;
            weighted[j] = w;
        }
    }

    private float RowSum(ReadOnlySpan<float> g)
    {
        var eps = new Vector<float>(eps1);
        var acc = Vector<float>.Zero;
        int j = 0;
        for (; j <= g.Length - Simd.Width; j += Simd.Width)
        {
            var gv = Simd.Load(g, j);
            acc += gv * gv + eps;
        }
        float sum = Simd.Sum(acc);
        for (; j < g.Length; j++) sum += g[j] * g[j] + eps1;
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SumColumnBlock(ref float g0, int column, int rows, int cols, ReadOnlySpan<float> weights,
        Span<float> columnSums, Span<float> weighted)
    {
        var eps = new Vector<float>(eps1);
        int width = Simd.Width;
        Vector<float> x0 = default, x1 = default, x2 = default, x3 = default;
        Vector<float> w0 = default, w1 = default, w2 = default, w3 = default;
        for (int i = 0; i < rows; i++)
        {
            var r = new Vector<float>(weights[i]);
            nuint at = (nuint)(i * cols + column);
            var s0 = Square(ref g0, at);
            var s1 = Square(ref g0, at + (nuint)width);
            var s2 = Square(ref g0, at + (nuint)(2 * width));
            var s3 = Square(ref g0, at + (nuint)(3 * width));
            x0 += s0 + eps; x1 += s1 + eps; x2 += s2 + eps; x3 += s3 + eps;
            w0 += r * s0; w1 += r * s1; w2 += r * s2; w3 += r * s3;
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

    private void SumColumnVector(ref float g0, int column, int rows, int cols, ReadOnlySpan<float> weights,
        Span<float> columnSums, Span<float> weighted)
    {
        var eps = new Vector<float>(eps1);
        Vector<float> x = default, w = default;
        for (int i = 0; i < rows; i++)
        {
            var s = Square(ref g0, (nuint)(i * cols + column));
            x += s + eps;
            w += new Vector<float>(weights[i]) * s;
        }
        Simd.Store(x, columnSums, column);
        Simd.Store(w, weighted, column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Square(ref float g0, nuint at)
    {
        var v = Vector.LoadUnsafe(ref g0, at);
        return v * v;
    }
}
