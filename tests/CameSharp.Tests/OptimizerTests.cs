using CameSharp.Tests.Reference;

namespace CameSharp.Tests;

/// <summary>Behaviour every optimizer shares: param groups, schedules, skipping, determinism, allocation.</summary>
public sealed class OptimizerTests
{
    public static TheoryData<string> Names => ["came", "adafactor", "adamw", "lamb"];

    internal static OptimizerOptions OptionsFor(string name, double lr = 1e-2, double weightDecay = 0.01) => name switch
    {
        "came" => new CameOptions { LearningRate = lr, WeightDecay = weightDecay },
        "adafactor" => new AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = lr, Beta1 = 0.9, WeightDecay = weightDecay },
        "adamw" => new AdamWOptions { LearningRate = lr, WeightDecay = weightDecay },
        _ => new LambOptions { LearningRate = lr, WeightDecay = weightDecay },
    };

    internal static Optimizer Create(string name, params (IEnumerable<Parameter> Params, OptimizerOptions Options)[] groups) => name switch
    {
        "came" => new Came(groups.Select(g => new ParamGroup<CameOptions>(g.Params, (CameOptions)g.Options))),
        "adafactor" => new Adafactor(groups.Select(g => new ParamGroup<AdafactorOptions>(g.Params, (AdafactorOptions)g.Options))),
        "adamw" => new AdamW(groups.Select(g => new ParamGroup<AdamWOptions>(g.Params, (AdamWOptions)g.Options))),
        _ => new Lamb(groups.Select(g => new ParamGroup<LambOptions>(g.Params, (LambOptions)g.Options))),
    };

    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Two_groups_step_as_two_optimizers_would(string name)
    {
        var w1 = new Parameter("w", Random(12, 1), 3, 4);
        var b1 = new Parameter("b", Random(4, 2));
        var w2 = new Parameter("w", Random(12, 1), 3, 4);
        var b2 = new Parameter("b", Random(4, 2));
        using var grouped = Create(name, ([w1], OptionsFor(name)), ([b1], OptionsFor(name, lr: 3e-2, weightDecay: 0)));
        using var first = Create(name, ([w2], OptionsFor(name)));
        using var second = Create(name, ([b2], OptionsFor(name, lr: 3e-2, weightDecay: 0)));
        for (int t = 0; t < 5; t++)
        {
            w1.Grad = w2.Grad = Random(12, 10 + t);
            b1.Grad = b2.Grad = Random(4, 20 + t);
            grouped.Step();
            first.Step();
            second.Step();
        }
        Assert.Equal(w2.Data.ToArray(), w1.Data.ToArray());
        Assert.Equal(b2.Data.ToArray(), b1.Data.ToArray());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_learning_rate_changed_between_steps_takes_effect(string name)
    {
        var w = new Parameter("w", Random(20, 3), 4, 5);
        using var opt = Create(name, ([w], OptionsFor(name)));
        var reference = ScalarOptimizer.For(OptionsFor(name));
        var expected = w.Data.ToArray().Select(x => (double)x).ToArray();
        double[] schedule = [1e-2, 5e-3, 1e-3, 2e-2];
        for (int t = 0; t < schedule.Length; t++)
        {
            var options = OptionsFor(name, lr: schedule[t]);
            SetOptions(opt, options);
            reference.Options = options;
            var g = Random(20, 30 + t);
            w.Grad = g;
            opt.Step();
            reference.Step("w", expected, g.Select(x => (double)x).ToArray(), [4, 5]);
        }
        var actual = w.Data.ToArray();
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    /// <summary>Replaces the first group's options, as a schedule does between steps.</summary>
    internal static void SetOptions(Optimizer opt, OptimizerOptions options)
    {
        switch (opt)
        {
            case Came c: c.ParamGroups[0].Options = (CameOptions)options; break;
            case Adafactor a: a.ParamGroups[0].Options = (AdafactorOptions)options; break;
            case AdamW a: a.ParamGroups[0].Options = (AdamWOptions)options; break;
            case Lamb l: l.ParamGroups[0].Options = (LambOptions)options; break;
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_parameter_without_a_gradient_is_skipped(string name)
    {
        var w = new Parameter("w", Random(6, 4), 2, 3);
        var frozen = new Parameter("frozen", Random(6, 5), 2, 3);
        var before = frozen.Data.ToArray();
        using var opt = Create(name, ([w, frozen], OptionsFor(name)));
        w.Grad = Random(6, 6);
        opt.Step();
        w.Grad = Random(6, 7);
        opt.Step();
        Assert.Equal(before, frozen.Data.ToArray());
        Assert.Equal(0, StepCount(opt, frozen));
        Assert.Equal(2, StepCount(opt, w));
    }

    [Fact]
    public void A_parameter_listed_twice_or_two_parameters_with_one_name_are_refused()
    {
        var w = new Parameter("w", new float[4]);
        var e = Assert.Throws<ArgumentException>(() => new Came([w, w], new CameOptions { LearningRate = 1e-3 }));
        Assert.Contains("more than once", e.Message);
        var other = new Parameter("w", new float[4]);
        e = Assert.Throws<ArgumentException>(() => new Came([w, other], new CameOptions { LearningRate = 1e-3 }));
        Assert.Contains("unique", e.Message);
    }

    public static TheoryData<string, int[]> LargeShapes => new()
    {
        { "came", new[] { 700, 300 } },
        { "came", new[] { 3, 200, 400 } },
        { "came", new[] { 64, 40000 } },
        { "came", new[] { 150000 } },
        { "adafactor", new[] { 700, 300 } },
        { "adafactor", new[] { 150000 } },
        { "adamw", new[] { 700, 300 } },
        { "lamb", new[] { 700, 300 } },
    };

    [Theory]
    [MemberData(nameof(LargeShapes))]
    public void Results_are_bitwise_identical_whatever_the_number_of_threads(string name, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        float[] Run(int threads)
        {
            var w = new Parameter("w", Random(n, 7), shape);
            using var opt = Create(name, ([w], OptionsFor(name)));
            opt.DegreeOfParallelism = threads;
            for (int t = 0; t < 3; t++)
            {
                w.Grad = Random(n, 40 + t, scale: MathF.Pow(10, t - 1));
                opt.Step();
            }
            return [.. w.Data.ToArray(), .. StateValues(opt)];
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(5));
    }

    internal static long StepCount(Optimizer opt, Parameter p) => opt switch
    {
        Optimizer<CameOptions> o => o.StepCount(p),
        Optimizer<AdafactorOptions> o => o.StepCount(p),
        Optimizer<AdamWOptions> o => o.StepCount(p),
        Optimizer<LambOptions> o => o.StepCount(p),
        _ => throw new NotSupportedException(),
    };

    internal static IEnumerable<float> StateValues(Optimizer opt) => opt switch
    {
        Optimizer<CameOptions> o => o.States.Values.SelectMany(s => s.Tensors).SelectMany(t => t.Data.ToArray()),
        Optimizer<AdafactorOptions> o => o.States.Values.SelectMany(s => s.Tensors).SelectMany(t => t.Data.ToArray()),
        Optimizer<AdamWOptions> o => o.States.Values.SelectMany(s => s.Tensors).SelectMany(t => t.Data.ToArray()),
        Optimizer<LambOptions> o => o.States.Values.SelectMany(s => s.Tensors).SelectMany(t => t.Data.ToArray()),
        _ => throw new NotSupportedException(),
    };

    [Theory]
    [InlineData("came", 1)]
    [InlineData("came", 2)]
    [InlineData("adafactor", 2)]
    [InlineData("adamw", 2)]
    [InlineData("lamb", 2)]
    public void Steps_after_the_first_allocate_nothing(string name, int threads)
    {
        var w = new Parameter("w", Random(300 * 400, 8), 300, 400);
        var b = new Parameter("b", Random(400, 9));
        var v = new Parameter("v", Random(3 * 5 * 7, 9), 3, 5, 7);
        using var opt = Create(name, ([w, b, v], OptionsFor(name)));
        opt.DegreeOfParallelism = threads;
        float[] gw = Random(w.Length, 10), gb = Random(b.Length, 11), gv = Random(v.Length, 12);
        void Step()
        {
            // Each step consumes the gradients; setting them again from the same buffers must not allocate either.
            (w.Grad, b.Grad, v.Grad) = (gw, gb, gv);
            opt.Step();
        }
        Step();
        Step();
        // A step that allocates does so every time; the runtime may allocate once on this thread under load (the
        // first time a wait blocks), so the least of three windows of five steps must be zero.
        long least = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 0; t < 5; t++) Step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }
}
