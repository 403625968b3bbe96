namespace CameSharp.Kernels;

/// <summary>
/// A factored exponential moving average of a non-negative statistic X of an [..., R, C] tensor: a row vector
/// (the EMA of X's row means) and a column vector (of its column means), and the rank-1 approximation
/// X ≈ (row_i / mean(row)) · col_j through its inverse square root factors. Adafactor's second moment
/// (X = g² + ε1) and CAME's instability (X = (u - m)² + ε2) are both this one statistic.
/// </summary>
internal sealed class FactoredMoment
{
    public FactoredMoment(FactoredLayout layout, Memory<float> row, Memory<float> col)
    {
        if (row.Length != layout.Batches * layout.Rows || col.Length != layout.Batches * layout.Cols)
            throw new ArgumentException("row and column memory must match the layout.");
        Layout = layout;
        Row = row;
        Col = col;
        RowFactor = new float[row.Length];
        ColFactor = new float[col.Length];
    }


    public FactoredLayout Layout { get; }

    /// <summary>EMA of the row means (the reference's <c>exp_avg_sq_row</c> / <c>exp_avg_res_row</c>).</summary>
    public Memory<float> Row { get; }

    /// <summary>EMA of the column means (<c>exp_avg_sq_col</c> / <c>exp_avg_res_col</c>).</summary>
    public Memory<float> Col { get; }

    /// <summary>First this step's row means of X; after <see cref="Commit"/>, rsqrt(row_i / mean(row)).</summary>
    public float[] RowFactor { get; }

    /// <summary>First this step's column means of X; after <see cref="Commit"/>, rsqrt(col_j).</summary>
    public float[] ColFactor { get; }

    /// <summary>Bytes held: the two EMAs and the two factor vectors.</summary>
    public long Bytes => 8L * (Row.Length + Col.Length);

    /// <summary>True when this step's means (in the factor vectors, before <see cref="Commit"/>) are all finite.</summary>
    public bool MeansAreFinite() => AllFinite(RowFactor) && AllFinite(ColFactor);

    /// <summary>Folds this step's means into the EMAs with decay <paramref name="beta"/>, then forms the factors.</summary>
    public void Commit(double beta)
    {
        Span<float> rowEma = Row.Span, colEma = Col.Span;
        Ema(rowEma, RowFactor, beta);
        Ema(colEma, ColFactor, beta);
        int rows = Layout.Rows, cols = Layout.Cols;
        for (int b = 0; b < Layout.Batches; b++)
        {
            ReadOnlySpan<float> row = rowEma.Slice(b * rows, rows);
            double mean = 0;
            foreach (float r in row) mean += r;
            mean /= rows;
            Span<float> rowFactor = RowFactor.AsSpan(b * rows, rows);
            for (int i = 0; i < rows; i++) rowFactor[i] = (float)(1.0 / Math.Sqrt(row[i] / mean));
        }
        for (int j = 0; j < colEma.Length; j++) ColFactor[j] = (float)(1.0 / Math.Sqrt(colEma[j]));
    }

    /// <summary>
    /// Σ_ij g_ij² / v̂_ij over every matrix, v̂ being the rank-1 second moment that this step's means (in the factor
    /// buffers) give once committed with <paramref name="beta"/>, from <paramref name="weightedColumnSums"/>:
    /// W_j = Σ_i g_ij² / r_i with r the new row EMA. Since v̂_ij = r_i c_j / mean(r), the sum is mean(r) · Σ_j W_j / c_j.
    /// </summary>
    public double UpdateSquareSum(double beta, ReadOnlySpan<float> weightedColumnSums)
    {
        var (b, rest) = EmaWeights(beta);
        ReadOnlySpan<float> rowEma = Row.Span, colEma = Col.Span;
        int rows = Layout.Rows, cols = Layout.Cols;
        double total = 0;
        for (int m = 0; m < Layout.Batches; m++)
        {
            double rowMean = 0;
            for (int i = m * rows; i < (m + 1) * rows; i++) rowMean += EmaOf(rowEma[i], RowFactor[i], b, rest);
            rowMean /= rows;
            double sum = 0;
            for (int j = m * cols; j < (m + 1) * cols; j++) sum += weightedColumnSums[j] / (double)EmaOf(colEma[j], ColFactor[j], b, rest);
            total += rowMean * sum;
        }
        return total;
    }

    /// <summary>ema = β·ema + (1 − β)·mean, the reference's <c>mul_(β).add_(mean, alpha=1-β)</c>.</summary>
    internal static void Ema(Span<float> ema, ReadOnlySpan<float> mean, double beta)
    {
        var (b, rest) = EmaWeights(beta);
        for (int i = 0; i < ema.Length; i++) ema[i] = EmaOf(ema[i], mean[i], b, rest);
    }

    /// <summary>β and 1 − β as the EMA uses them.</summary>
    /// <remarks>1 − β is formed in double, as torch does with its <c>alpha</c>: in float32, 1 − 0.9999f is off by 1.7e-4.</remarks>
    internal static (float Beta, float OneMinusBeta) EmaWeights(double beta) => ((float)beta, (float)(1 - beta));

    /// <summary>One EMA element, in exactly the float operations <see cref="Commit"/> uses, so a value foreseen equals the value committed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static float EmaOf(float ema, float mean, float beta, float rest) => ema * beta + rest * mean;

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
