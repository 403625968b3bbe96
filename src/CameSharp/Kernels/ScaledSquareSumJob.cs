using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>
/// Σ u² for the factored update u = g · r_i · c_j, without storing u: what the RMS clip of Adafactor and
/// CAME needs before the update can be formed.
/// </summary>
internal sealed class ScaledSquareSumJob : FactoredJob
{
    private Memory<float> grad;
    private float[] rowFactor = [], colFactor = [];
    private double[] sums = [];

    public double Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, FactoredMoment moment)
    {
        Prepare(moment.Layout);
        grad = gradient;
        rowFactor = moment.RowFactor;
        colFactor = moment.ColFactor;
        sums = workspace.ChunkSums;
        runner.Run(this, Layout.ChunkCount);
        return workspace.Total(Layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        sums[2 * chunk] = 0;
        base.Run(chunk);
    }

    protected override void ProcessRows(int chunk, int batch, int firstRow, int endRow)
    {
        int cols = Layout.Cols;
        ReadOnlySpan<float> c = colFactor.AsSpan(batch * cols, cols);
        ReadOnlySpan<float> all = grad.Span;
        double total = 0;
        for (int i = firstRow; i < endRow; i++)
        {
            ReadOnlySpan<float> g = all.Slice(RowOffset(batch, i), cols);
            float r = rowFactor[batch * Layout.Rows + i];
            var rv = new Vector<float>(r);
            var acc = Vector<float>.Zero;
            int j = 0;
            for (; j <= cols - Simd.Width; j += Simd.Width)
            {
                var u = rv * Simd.Load(c, j) * Simd.Load(g, j);
                acc += u * u;
            }
            float sum = Simd.Sum(acc);
            for (; j < cols; j++)
            {
                float u = r * c[j] * g[j];
                sum += u * u;
            }
            total += sum;
        }
        sums[2 * chunk] += total;
    }
}
