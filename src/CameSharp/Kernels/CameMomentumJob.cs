using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's third pass, fused: the clipped update u = clip · g · r_i · c_j (recomputed, never stored), the
/// momentum m ← β1·m + (1 − β1)·u, and the row and column means of the instability (u − m)² + ε2.
/// </summary>
internal sealed class CameMomentumJob : RowColumnMeansJob
{
    private Memory<float> grad;
    private Memory<float> expAvg;
    private Memory<float> rowFactor, colFactor;
    private float clip, beta1, rest, eps2;

    public void Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, FactoredMoment secondMoment,
        float clipScale, Memory<float> momentum, double b1, float epsilon2, FactoredMoment instability)
    {
        grad = gradient;
        rowFactor = secondMoment.RowFactor;
        colFactor = secondMoment.ColFactor;
        clip = clipScale;
        expAvg = momentum;
        beta1 = (float)b1;
        rest = (float)(1 - b1);
        eps2 = epsilon2;
        Execute(runner, workspace, instability);
    }

    /// <remarks>
    /// Column sums are added row by row, right after each row. Running down the chunk's columns afterwards instead
    /// (as <see cref="SquareMeansJob"/> does) leaves memory idle while it recomputes the instability from cache: in a
    /// stand-alone copy of both loops it took 0.78 against 0.56 ns per element on one thread (50257 x 768).
    /// </remarks>
    protected override void AccumulateRows(int chunk, int batch, int firstRow, int endRow, Span<float> rowMeans, Span<float> columnSums)
    {
        columnSums.Clear();
        for (int i = firstRow; i < endRow; i++)
            rowMeans[i - firstRow] = AccumulateRow(batch, i, columnSums) / Layout.Cols;
    }

    /// <summary>Updates row <paramref name="row"/>'s momentum, adds its instability into <paramref name="columnSums"/> and returns the row's sum.</summary>
    private float AccumulateRow(int batch, int row, Span<float> columnSums)
    {
        int cols = Layout.Cols, offset = RowOffset(batch, row);
        ReadOnlySpan<float> g = grad.Span.Slice(offset, cols);
        Span<float> m = expAvg.Span.Slice(offset, cols);
        ReadOnlySpan<float> c = colFactor.Span.Slice(batch * cols, cols);
        float r = rowFactor.Span[batch * Layout.Rows + row];
        var rv = new Vector<float>(r);
        var clipv = new Vector<float>(clip);
        var b1v = new Vector<float>(beta1);
        var restv = new Vector<float>(rest);
        var eps = new Vector<float>(eps2);
        var acc = Vector<float>.Zero;
        int j = 0;
        for (; j <= cols - Simd.Width; j += Simd.Width)
        {
            var u = rv * Simd.Load(c, j) * Simd.Load(g, j) * clipv;
            var mv = Simd.Load(m, j) * b1v + restv * u;
            Simd.Store(mv, m, j);
            var d = u - mv;
            var x = d * d + eps;
            acc += x;
            Simd.Store(Simd.Load(columnSums, j) + x, columnSums, j);
        }
        float sum = Simd.Sum(acc);
        for (; j < cols; j++)
        {
            float u = r * c[j] * g[j] * clip;
            float mj = m[j] * beta1 + rest * u;
            m[j] = mj;
            float d = u - mj;
            float x = d * d + eps2;
            sum += x;
            columnSums[j] += x;
        }
        return sum;
    }
}
