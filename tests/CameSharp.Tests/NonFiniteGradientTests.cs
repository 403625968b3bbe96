namespace CameSharp.Tests;

public sealed class NonFiniteGradientTests
{
    public static TheoryData<string, float> Cases()
    {
        var data = new TheoryData<string, float>();
        foreach (var name in new[] { "came", "adafactor", "adamw", "lamb" })
            foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e20f })
                data.Add(name, bad);
        return data;
    }

    private static (Optimizer Opt, Parameter W, Parameter B, Parameter V) Setup(string name)
    {
        var w = new Parameter("w", OptimizerTests.Random(12, 1), 3, 4);
        var b = new Parameter("b", OptimizerTests.Random(4, 2));
        var v = new Parameter("v", OptimizerTests.Random(24, 3), 2, 3, 4);
        var opt = OptimizerTests.Create(name, ([w, b, v], OptimizerTests.OptionsFor(name)));
        w.Grad = OptimizerTests.Random(12, 4);
        b.Grad = OptimizerTests.Random(4, 5);
        v.Grad = OptimizerTests.Random(24, 6);
        opt.Step();
        return (opt, w, b, v);
    }

    private static float[] Snapshot(Optimizer opt) =>
        [.. opt.Parameters.SelectMany(p => p.Data.ToArray()), .. OptimizerTests.StateValues(opt)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Throw_names_the_parameter_and_step_and_changes_nothing(string name, float bad)
    {
        foreach (int target in new[] { 0, 1, 2 })
        {
            var (opt, w, b, v) = Setup(name);
            using var _ = opt;
            var victim = new[] { w, b, v }[target];
            var g = OptimizerTests.Random(victim.Length, 7);
            g[victim.Length / 2] = bad;
            victim.Grad = g;
            var before = Snapshot(opt);
            var e = Assert.Throws<NonFiniteGradientException>(opt.Step);
            Assert.Equal(victim.Name, e.ParameterName);
            Assert.Equal(2, e.Step);
            Assert.Contains($"'{victim.Name}'", e.Message);
            Assert.Equal(before, Snapshot(opt));
            Assert.All(new[] { w, b, v }, p => Assert.Equal(1, OptimizerTests.StepCount(opt, p)));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SkipStep_counts_the_step_and_changes_nothing(string name, float bad)
    {
        var (opt, w, b, v) = Setup(name);
        using var _ = opt;
        opt.NonFinitePolicy = NonFinitePolicy.SkipStep;
        var g = OptimizerTests.Random(v.Length, 7);
        g[0] = bad;
        v.Grad = g;
        var before = Snapshot(opt);
        long stateBytes = opt.StateBytes;
        opt.Step();
        Assert.Equal(1, opt.SkippedSteps);
        Assert.Equal(before, Snapshot(opt));
        Assert.Equal(stateBytes, opt.StateBytes);

        v.Grad = OptimizerTests.Random(v.Length, 8);
        opt.Step();
        Assert.Equal(1, opt.SkippedSteps);
        Assert.NotEqual(before, Snapshot(opt));
    }

    [Fact]
    public void A_refused_first_step_creates_no_state()
    {
        var w = new Parameter("w", OptimizerTests.Random(12, 1), 3, 4) { Grad = OptimizerTests.Random(12, 2) };
        var b = new Parameter("b", OptimizerTests.Random(4, 1)) { Grad = new float[] { 1, float.NaN, 0, 0 } };
        using var opt = new Came([w, b], new CameOptions { LearningRate = 1e-3 }) { NonFinitePolicy = NonFinitePolicy.SkipStep };
        opt.Step();
        Assert.Equal(0, opt.StateBytes);
    }

    [Fact]
    public void Twenty_thousand_came_steps_with_gradient_scales_jumping_from_1e_minus_8_to_1e8_stay_finite()
    {
        var w = new Parameter("w", OptimizerTests.Random(16 * 24, 1), 16, 24);
        var b = new Parameter("b", OptimizerTests.Random(24, 2));
        using var opt = new Came([w, b], new CameOptions { LearningRate = 1e-3, WeightDecay = 0.01 }) { DegreeOfParallelism = 1 };
        var rng = new Random(3);
        var gw = new float[w.Length];
        var gb = new float[b.Length];
        for (int t = 0; t < 20_000; t++)
        {
            float scale = MathF.Pow(10, rng.Next(-8, 9));
            for (int i = 0; i < gw.Length; i++) gw[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            for (int i = 0; i < gb.Length; i++) gb[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            w.Grad = gw;
            b.Grad = gb;
            opt.Step();
        }
        Assert.All(w.Data.ToArray(), x => Assert.True(float.IsFinite(x)));
        Assert.All(b.Data.ToArray(), x => Assert.True(float.IsFinite(x)));
        Assert.All(OptimizerTests.StateValues(opt), x => Assert.True(float.IsFinite(x)));
        Assert.Equal(0, opt.SkippedSteps);
        Assert.Equal(20_000, opt.StepCount(w));
    }
}
