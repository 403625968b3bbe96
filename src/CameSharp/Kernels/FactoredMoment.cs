namespace CameSharp.Kernels;

/// <summary>
/// The CPU kernels' view of a <see cref="Factored{TTensor}"/> statistic: its memory and the layout in which the passes
/// cut it into chunks. A struct over memory the caller owns, so forming one per pass allocates nothing.
/// </summary>
internal readonly struct FactoredMoment
{
    public FactoredMoment(Factored<Memory<float>> x) : this(new FactoredLayout(x.Shape), x.Row, x.Col, x.RowFactor, x.ColFactor)
    {
    }

    public FactoredMoment(FactoredLayout layout, Memory<float> row, Memory<float> col, Memory<float> rowFactor, Memory<float> colFactor)
    {
        if (row.Length != layout.Batches * layout.Rows || col.Length != layout.Batches * layout.Cols
            || rowFactor.Length != row.Length || colFactor.Length != col.Length)
            throw new ArgumentException("row and column memory must match the layout.");
        Layout = layout;
        Row = row;
        Col = col;
        RowFactor = rowFactor;
        ColFactor = colFactor;
    }

    public FactoredLayout Layout { get; }

    /// <summary>EMA of the row means.</summary>
    public Memory<float> Row { get; }

    /// <summary>EMA of the column means.</summary>
    public Memory<float> Col { get; }

    /// <summary>First this step's row means of X; after <see cref="Commit"/>, rsqrt(row_i / mean(row)).</summary>
    public Memory<float> RowFactor { get; }

    /// <summary>First this step's column means of X; after <see cref="Commit"/>, rsqrt(col_j).</summary>
    public Memory<float> ColFactor { get; }

    /// <summary>True when this step's means (in the factor vectors, before <see cref="Commit"/>) are all finite.</summary>
    public bool MeansAreFinite() => AllFinite(RowFactor.Span) && AllFinite(ColFactor.Span);

    /// <summary>Folds this step's means into the EMAs with decay <paramref name="beta"/>, then forms the factors.</summary>
    public void Commit(double beta)
    {
        Span<float> rowEma = Row.Span, colEma = Col.Span, rowFactors = RowFactor.Span, colFactors = ColFactor.Span;
        Ema(rowEma, rowFactors, beta);
        Ema(colEma, colFactors, beta);
        int rows = Layout.Rows;
        for (int b = 0; b < Layout.Batches; b++)
        {
            ReadOnlySpan<float> row = rowEma.Slice(b * rows, rows);
            double mean = 0;
            foreach (float r in row) mean += r;
            mean /= rows;
            Span<float> rowFactor = rowFactors.Slice(b * rows, rows);
            for (int i = 0; i < rows; i++) rowFactor[i] = (float)(1.0 / Math.Sqrt(row[i] / mean));
        }
        for (int j = 0; j < colEma.Length; j++) colFactors[j] = (float)(1.0 / Math.Sqrt(colEma[j]));
    }

    /// <summary>
    /// Σ_ij g_ij² / v̂_ij over every matrix, v̂ being the rank-1 second moment that this step's means (in the factor
    /// buffers) give once committed with <paramref name="beta"/>, from <paramref name="weightedColumnSums"/>:
    /// W_j = Σ_i g_ij² / r_i with r the new row EMA. Since v̂_ij = r_i c_j / mean(r), the sum is mean(r) · Σ_j W_j / c_j.
    /// </summary>
    public double UpdateSquareSum(double beta, ReadOnlySpan<float> weightedColumnSums)
    {
        var (b, oneMinusBeta) = EmaWeights(beta);
        ReadOnlySpan<float> rowEma = Row.Span, colEma = Col.Span, rowMeans = RowFactor.Span, colMeans = ColFactor.Span;
        int rows = Layout.Rows, cols = Layout.Cols;
        double total = 0;
        for (int m = 0; m < Layout.Batches; m++)
        {
            double rowMean = 0;
            for (int i = m * rows; i < (m + 1) * rows; i++) rowMean += EmaOf(rowEma[i], rowMeans[i], b, oneMinusBeta);
            rowMean /= rows;
            double sum = 0;
            for (int j = m * cols; j < (m + 1) * cols; j++) sum += weightedColumnSums[j] / (double)EmaOf(colEma[j], colMeans[j], b, oneMinusBeta);
            total += rowMean * sum;
        }
        return total;
    }

    /// <summary>ema = β·ema + (1 − β)·mean, the reference's <c>mul_(β).add_(mean, alpha=1-β)</c>.</summary>
    internal static void Ema(Span<float> ema, ReadOnlySpan<float> mean, double beta)
    {
        var (b, oneMinusBeta) = EmaWeights(beta);
        for (int i = 0; i < ema.Length; i++) ema[i] = EmaOf(ema[i], mean[i], b, oneMinusBeta);
    }

    /// <summary>β and 1 − β as the EMA uses them.</summary>
    /// <remarks>1 − β is formed in double, as torch does with its <c>alpha</c>: in float32, 1 − 0.9999f is off by 1.7e-4.</remarks>
    internal static (float Beta, float OneMinusBeta) EmaWeights(double beta) => ((float)beta, (float)(1 - beta));

    /// <summary>One EMA element, in exactly the float operations <see cref="Commit"/> uses, so a value foreseen equals the value committed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static float EmaOf(float ema, float mean, float beta, float oneMinusBeta) => ema * beta + oneMinusBeta * mean;

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
