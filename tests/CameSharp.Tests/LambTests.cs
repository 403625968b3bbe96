namespace CameSharp.Tests;

public sealed class LambTests
{
    [Fact]
    public void A_step_moves_the_parameter_by_lr_times_its_norm()
    {
        // The trust ratio ||p|| / ||r|| rescales the direction r, so ||Δp|| = lr · ||p||: LAMB's layer-wise step.
        var init = OptimizerTests.Random(64, 3);
        var w = new Parameter("w", (float[])init.Clone(), 8, 8) { Grad = OptimizerTests.Random(64, 4) };
        using var opt = new Lamb([w], new LambOptions { LearningRate = 0.01 });
        opt.Step();
        double delta = Math.Sqrt(w.Data.ToArray().Zip(init).Sum(t => (t.First - t.Second) * (double)(t.First - t.Second)));
        double norm = Math.Sqrt(init.Sum(x => (double)x * x));
        Assert.Equal(0.01 * norm, delta, 5);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(2, 0, 1)]
    [InlineData(3, 4, 0.75)]
    public void The_trust_ratio_is_one_where_a_norm_is_zero(double p, double r, double expected) =>
        Assert.Equal(expected, Lamb.TrustRatio(p, r));
}
