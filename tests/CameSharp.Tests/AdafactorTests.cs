namespace CameSharp.Tests;

public sealed class AdafactorTests
{
    [Theory]
    [InlineData(1, false, 1e-2)]
    [InlineData(100, false, 1e-2)]
    [InlineData(10000, false, 1e-2)]
    [InlineData(40000, false, 5e-3)]
    [InlineData(1, true, 1e-6)]
    [InlineData(1000, true, 1e-3)]
    public void The_relative_step_is_min_of_the_warmup_or_1e_2_and_one_over_root_t(long step, bool warmup, double expected)
    {
        var o = new AdafactorOptions { WarmupInit = warmup, ScaleParameter = false };
        Assert.Equal(expected, Adafactor.StepSize(o, step, parameterRms: 123), 12);
    }

    [Fact]
    public void Parameter_scaling_uses_the_rms_floored_at_eps2()
    {
        var o = new AdafactorOptions();
        Assert.Equal(0.5 * 1e-2, Adafactor.StepSize(o, 1, parameterRms: 0.5), 12);
        Assert.Equal(1e-3 * 1e-2, Adafactor.StepSize(o, 1, parameterRms: 0), 12);
    }

    [Fact]
    public void Beta2_follows_one_minus_t_to_the_decay_rate()
    {
        var o = new AdafactorOptions();
        Assert.Equal(0.0, Adafactor.Beta2(o, 1), 12);
        Assert.Equal(1 - Math.Pow(10, -0.8), Adafactor.Beta2(o, 10), 12);
    }

    [Theory]
    [InlineData(false, 8L * (30 + 40))]
    [InlineData(true, 4L * 30 * 40 + 8L * (30 + 40))]
    public void A_matrix_holds_factored_statistics_and_momentum_only_with_beta1(bool momentum, long expected)
    {
        var w = new Parameter("w", OptimizerTests.Random(1200, 1), 30, 40) { Grad = OptimizerTests.Random(1200, 2) };
        using var opt = new Adafactor([w], new AdafactorOptions { Beta1 = momentum ? 0.9 : null });
        opt.Step();
        Assert.Equal(expected, opt.StateBytes);
    }

    [Fact]
    public void Momentum_cannot_be_switched_on_after_the_first_step()
    {
        var w = new Parameter("w", OptimizerTests.Random(6, 1), 2, 3) { Grad = OptimizerTests.Random(6, 2) };
        using var opt = new Adafactor([w], new AdafactorOptions());
        opt.Step();
        opt.ParamGroups[0].Options = opt.ParamGroups[0].Options with { Beta1 = 0.9 };
        w.Grad = OptimizerTests.Random(6, 3);
        var e = Assert.Throws<InvalidOperationException>(opt.Step);
        Assert.Contains("'w'", e.Message);
    }
}
