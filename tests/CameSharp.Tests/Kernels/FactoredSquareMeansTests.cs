using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

public sealed class FactoredSquareMeansTests
{
    /// <summary>
    /// The first pass foresees Σ u² of the update u = g / √v̂ before v̂ exists. It must equal the sum taken the plain
    /// way, element by element, after the commit: for a split matrix, a batch of small ones, odd widths (scalar tail
    /// columns), rows of zeros, and EMAs that already hold history.
    /// </summary>
    [Theory]
    [InlineData(new[] { 700, 300 }, 0.999, 1)]
    [InlineData(new[] { 700, 300 }, 0.999, 3)]
    [InlineData(new[] { 4, 37, 53 }, 0.9, 2)]
    [InlineData(new[] { 300, 1 }, 0.5, 1)]
    [InlineData(new[] { 1, 300 }, 0.0, 2)]
    public void Foreseen_update_square_sum_equals_the_sum_after_commit(int[] shape, double beta2, int threads)
    {
        var layout = new FactoredLayout(shape);
        var rng = new Random(shape.Sum());
        var moment = new FactoredMoment(layout, Fill(layout.Batches * layout.Rows, rng), Fill(layout.Batches * layout.Cols, rng),
            new float[layout.Batches * layout.Rows], new float[layout.Batches * layout.Cols]);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var g = Enumerable.Range(0, n).Select(i => i / layout.Cols % layout.Rows == 1 ? 0f : (float)(rng.NextDouble() - 0.5) * 1e-3f).ToArray();
        var workspace = new KernelWorkspace();
        workspace.Reserve(shape);
        using var runner = new KernelRunner(threads);

        double foreseen = new FactoredSquareMeans().Execute(runner, workspace, g, 1e-30f, beta2, moment);
        moment.Commit(beta2);

        double plain = 0;
        for (int k = 0; k < n; k++)
        {
            int batch = k / (layout.Rows * layout.Cols), row = k / layout.Cols % layout.Rows, col = k % layout.Cols;
            double u = g[k] * (double)moment.RowFactor.Span[batch * layout.Rows + row] * moment.ColFactor.Span[batch * layout.Cols + col];
            plain += u * u;
        }
        Assert.Equal(plain, foreseen, plain * 1e-5);
    }

    private static float[] Fill(int length, Random rng) =>
        Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() + 0.1) * 1e-7f).ToArray();
}
