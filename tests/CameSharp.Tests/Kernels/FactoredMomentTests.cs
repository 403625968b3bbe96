using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

public sealed class FactoredMomentTests
{
    [Fact]
    public void Ema_forms_one_minus_beta_in_double()
    {
        // In float32, 1 - 0.9999f = 1.00016594e-4: a 1.7e-4 relative error that put CAME 33% of the way to the
        // golden bound. torch forms alpha = 1 - beta in double and casts it once; so must we.
        var ema = new float[1];
        FactoredMoment.Ema(ema, [1f], 0.9999);
        Assert.Equal((float)(1 - 0.9999), ema[0]);
        Assert.NotEqual(1f - 0.9999f, ema[0]);
    }

    [Fact]
    public void Commit_forms_the_rank_one_rsqrt_factors_per_matrix()
    {
        var moment = Moment([2, 2, 3]);
        float[] rowMeans = [1, 3, 2, 6];
        float[] colMeans = [4, 1, 0.25f, 9, 16, 1];
        rowMeans.CopyTo(moment.RowFactor);
        colMeans.CopyTo(moment.ColFactor);
        moment.Commit(0.0);
        Assert.Equal(rowMeans, moment.Row.ToArray());
        Assert.Equal(colMeans, moment.Col.ToArray());
        // Matrix 0: mean(row) = 2, so r = rsqrt([0.5, 1.5]); matrix 1: mean 4, r = rsqrt([0.5, 1.5]).
        double[] r = [1 / Math.Sqrt(0.5), 1 / Math.Sqrt(1.5), 1 / Math.Sqrt(0.5), 1 / Math.Sqrt(1.5)];
        for (int i = 0; i < 4; i++) Assert.Equal(r[i], moment.RowFactor.Span[i], 6);
        double[] c = [0.5, 1, 2, 1 / 3.0, 0.25, 1];
        for (int j = 0; j < 6; j++) Assert.Equal(c[j], moment.ColFactor.Span[j], 6);
    }

    [Fact]
    public void Holds_two_emas_and_two_factor_vectors()
    {
        var specs = StateTensorSpec.FactoredStatistic("exp_avg_sq", [3, 5, 7]).ToArray();
        Assert.Equal(4L * 2 * (3 * 5 + 3 * 7), specs.Sum(s => 4L * s.Length));
    }

    internal static FactoredMoment Moment(int[] shape) =>
        new(new FactoredLayout(shape), new float[Rows(shape)], new float[Cols(shape)], new float[Rows(shape)], new float[Cols(shape)]);

    private static int Rows(int[] shape) => shape[..^1].Aggregate(1, (a, b) => a * b);

    private static int Cols(int[] shape) => shape[..^2].Aggregate(1, (a, b) => a * b) * shape[^1];
}
