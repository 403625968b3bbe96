using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>Row and column means of g² + ε1: the statistic behind Adafactor's and CAME's second moment.</summary>
internal sealed class SquareMeansJob : RowColumnMeansJob
{
    private Memory<float> grad;
    private float eps1;

    public void Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, float epsilon1, FactoredMoment moment)
    {
        grad = gradient;
        eps1 = epsilon1;
        Execute(runner, workspace, moment);
    }

    protected override float AccumulateRow(int batch, int row, Span<float> columnSums)
    {
        ReadOnlySpan<float> g = grad.Span.Slice(RowOffset(batch, row), Layout.Cols);
        var eps = new Vector<float>(eps1);
        var acc = Vector<float>.Zero;
        int j = 0;
        for (; j <= g.Length - Simd.Width; j += Simd.Width)
        {
            var gv = Simd.Load(g, j);
            var x = gv * gv + eps;
            acc += x;
            Simd.Store(Simd.Load(columnSums, j) + x, columnSums, j);
        }
        float sum = Simd.Sum(acc);
        for (; j < g.Length; j++)
        {
            float x = g[j] * g[j] + eps1;
            sum += x;
            columnSums[j] += x;
        }
        return sum;
    }
}
