namespace CameSharp.Tests;

public sealed class OptionsTests
{
    public static TheoryData<string, string, Func<object>> Invalid => new()
    {
        { "LearningRate", "[0, +inf)", () => new CameOptions { LearningRate = -1e-3 } },
        { "LearningRate", "[0, +inf)", () => new CameOptions { LearningRate = double.NaN } },
        { "LearningRate", "[0, +inf)", () => new CameOptions { LearningRate = double.PositiveInfinity } },
        { "Beta1", "[0, 1)", () => new CameOptions { LearningRate = 1e-3, Beta1 = 1 } },
        { "Beta1", "[0, 1)", () => new CameOptions { LearningRate = 1e-3, Beta1 = -0.1 } },
        { "Beta2", "[0, 1)", () => new CameOptions { LearningRate = 1e-3, Beta2 = 1.5 } },
        { "Beta3", "[0, 1)", () => new CameOptions { LearningRate = 1e-3, Beta3 = double.NaN } },
        { "Eps1", "[0, +inf)", () => new CameOptions { LearningRate = 1e-3, Eps1 = -1e-30 } },
        { "Eps2", "[0, +inf)", () => new CameOptions { LearningRate = 1e-3, Eps2 = double.NaN } },
        { "ClipThreshold", "(0, +inf)", () => new CameOptions { LearningRate = 1e-3, ClipThreshold = 0 } },
        { "WeightDecay", "[0, +inf)", () => new CameOptions { LearningRate = 1e-3, WeightDecay = -0.01 } },
        { "LearningRate", "[0, +inf)", () => new AdafactorOptions { RelativeStep = false, LearningRate = -1 } },
        { "LearningRate", "[0, +inf)", () => new AdafactorOptions { RelativeStep = false, LearningRate = double.NaN } },
        { "Beta1", "[0, 1)", () => new AdafactorOptions { Beta1 = 1 } },
        { "DecayRate", "(-inf, 0]", () => new AdafactorOptions { DecayRate = 0.5 } },
        { "Eps2", "[0, +inf)", () => new AdafactorOptions { Eps2 = -1 } },
        { "ClipThreshold", "(0, +inf)", () => new AdafactorOptions { ClipThreshold = double.NaN } },
        { "LearningRate", "[0, +inf)", () => new AdamWOptions { LearningRate = -1e-300 } },
        { "Beta2", "[0, 1)", () => new AdamWOptions { Beta2 = 1 } },
        { "Eps", "[0, +inf)", () => new AdamWOptions { Eps = -1e-8 } },
        { "WeightDecay", "[0, +inf)", () => new AdamWOptions { WeightDecay = double.NaN } },
        { "LearningRate", "[0, +inf)", () => new LambOptions { LearningRate = double.NegativeInfinity } },
        { "Beta1", "[0, 1)", () => new LambOptions { Beta1 = 2 } },
        { "Eps", "[0, +inf)", () => new LambOptions { Eps = double.NaN } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_values_throw_naming_the_argument_and_the_accepted_range(string name, string range, Func<object> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
        Assert.Contains(range, e.Message);
    }

    [Fact]
    public void Defaults_are_the_references()
    {
        var came = new CameOptions { LearningRate = 2e-4 };
        Assert.Equal((0.9, 0.999, 0.9999, 1e-30, 1e-16, 1.0, 0.0),
            (came.Beta1, came.Beta2, came.Beta3, came.Eps1, came.Eps2, came.ClipThreshold, came.WeightDecay));
        var af = new AdafactorOptions();
        Assert.Equal((null, 1e-30, 1e-3, 1.0, -0.8, null, 0.0, true, true, false),
            (af.LearningRate, af.Eps1, af.Eps2, af.ClipThreshold, af.DecayRate, af.Beta1, af.WeightDecay, af.ScaleParameter, af.RelativeStep, af.WarmupInit));
        var adamw = new AdamWOptions();
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 1e-2), (adamw.LearningRate, adamw.Beta1, adamw.Beta2, adamw.Eps, adamw.WeightDecay));
        var lamb = new LambOptions();
        Assert.Equal((1e-3, 0.9, 0.999, 1e-6, 1e-2), (lamb.LearningRate, lamb.Beta1, lamb.Beta2, lamb.Eps, lamb.WeightDecay));
    }

    [Fact]
    public void Adafactor_refuses_an_explicit_learning_rate_with_the_relative_step()
    {
        var w = new Parameter("w", new float[4]);
        var e = Assert.Throws<ArgumentException>(() => new Adafactor([w], new AdafactorOptions { LearningRate = 1e-3 }));
        Assert.Contains("RelativeStep", e.Message);
    }

    [Fact]
    public void Adafactor_refuses_warmup_init_without_the_relative_step()
    {
        var w = new Parameter("w", new float[4]);
        var e = Assert.Throws<ArgumentException>(() =>
            new Adafactor([w], new AdafactorOptions { RelativeStep = false, LearningRate = 1e-3, WarmupInit = true }));
        Assert.Contains("WarmupInit", e.Message);
    }

    [Fact]
    public void Adafactor_needs_a_learning_rate_without_the_relative_step()
    {
        var w = new Parameter("w", new float[4]);
        var e = Assert.Throws<ArgumentException>(() => new Adafactor([w], new AdafactorOptions { RelativeStep = false }));
        Assert.Contains("LearningRate", e.Message);
    }

    [Fact]
    public void A_rejected_group_options_change_leaves_the_old_options()
    {
        var w = new Parameter("w", new float[4]);
        using var opt = new Adafactor([w], new AdafactorOptions());
        var before = opt.ParamGroups[0].Options;
        Assert.Throws<ArgumentException>(() => opt.ParamGroups[0].Options = before with { LearningRate = 1e-3 });
        Assert.Same(before, opt.ParamGroups[0].Options);
    }
}
