using CsCheck;
using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

public sealed class CameSharpOptimizerTests
{
    public static TheoryData<string> Names => ["came", "came-bc", "adafactor", "lamb"];

    internal static Engine.OptimizerOptions Options(string name, double lr = 1e-2) => name switch
    {
        "came" => new Engine.CameOptions { LearningRate = lr, WeightDecay = 0.01 },
        "came-bc" => new Engine.CameOptions { LearningRate = lr, WeightDecay = 0.01, BiasCorrection = true },
        "adafactor" => new Engine.AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = lr, Beta1 = 0.9, WeightDecay = 0.01 },
        _ => new Engine.LambOptions { LearningRate = lr },
    };

    internal static float[] Random(int n, int seed, float scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static Gen<int[]> Shapes =>
        from rank in Gen.Int[1, 4]
        from dims in Gen.Frequency((3, Gen.Int[2, 9]), (1, Gen.Const(1)), (1, Gen.Int[10, 70])).Array[rank]
        select dims;

    [Theory]
    [MemberData(nameof(Names))]
    public void The_fast_path_and_the_torch_op_path_agree(string name)
    {
        Gen.Select(Shapes, Gen.Int).Sample((shape, seed) =>
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var init = Random(n, seed);
            var fast = TorchTestData.Param(init, shape);
            var ops = TorchTestData.Param(init, shape);
            using var a = TorchTestData.Create([fast], Options(name));
            using var b = TorchTestData.Create([ops], Options(name));
            TorchTestData.SetFastPath(b, false);
            for (int t = 0; t < 4; t++)
            {
                var g = Random(n, seed + 1 + t, MathF.Pow(10, t - 2));
                TorchTestData.SetGrad(fast, g);
                TorchTestData.SetGrad(ops, g);
                a.step();
                b.step();
            }
            var x = TorchTestData.Values(fast);
            var y = TorchTestData.Values(ops);
            double moved = x.Zip(init).Max(p => Math.Abs(p.First - p.Second));
            double error = x.Zip(y).Max(p => Math.Abs(p.First - p.Second));
            double scale = x.Max(Math.Abs);
            return error <= 1e-4 * moved + 16 * Math.Pow(2, -23) * scale;
        }, iter: 40, threads: 1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamW_steps_as_torch_optim_AdamW(bool fastPath)
    {
        // The same float32 formulas in another order: equal up to rounding, at every scale of gradient.
        Gen.Select(Shapes, Gen.Int).Sample((shape, seed) =>
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var init = Random(n, seed);
            var ours = TorchTestData.Param(init, shape);
            var theirs = TorchTestData.Param(init, shape);
            using var a = Optim.AdamW([ours], lr: 1e-2, weight_decay: 0.1);
            using var b = torch.optim.AdamW([theirs], lr: 1e-2, weight_decay: 0.1);
            a.UseFastPath = fastPath;
            for (int t = 0; t < 6; t++)
            {
                var g = Random(n, seed + 1 + t, MathF.Pow(10, 2 * t - 6));
                TorchTestData.SetGrad(ours, g);
                TorchTestData.SetGrad(theirs, g);
                a.step();
                b.step();
            }
            Assert.Equal(fastPath ? 1 : 0, a.FastPathParameters);
            var x = TorchTestData.Values(ours);
            var y = TorchTestData.Values(theirs);
            double moved = x.Zip(init).Max(p => Math.Abs(p.First - p.Second));
            double error = x.Zip(y).Max(p => Math.Abs(p.First - p.Second));
            return error <= 1e-5 * moved + 4 * Math.Pow(2, -23) * x.Max(Math.Abs);
        }, iter: 30, threads: 1);
    }

    [Theory]
    [InlineData("came", ScalarType.Float64, 1e-5)]
    [InlineData("came", ScalarType.BFloat16, 2e-2)]
    [InlineData("came", ScalarType.Float16, 5e-3)]
    [InlineData("adafactor", ScalarType.BFloat16, 2e-2)]
    [InlineData("lamb", ScalarType.Float64, 1e-5)]
    [InlineData("lamb", ScalarType.Float16, 5e-3)]
    public void Other_dtypes_step_in_float32_and_keep_their_dtype(string name, ScalarType dtype, double tolerance)
    {
        int[] shape = [6, 8];
        var init = Random(48, 1);
        var p = TorchTestData.Param(init, shape, dtype);
        var reference = TorchTestData.Param(Values(TorchTestData.Param(init, shape, dtype)), shape);
        using var opt = TorchTestData.Create([p], Options(name));
        using var refOpt = TorchTestData.Create([reference], Options(name));
        for (int t = 0; t < 5; t++)
        {
            var g = Values(TorchTestData.Param(Random(48, 10 + t), shape, dtype));
            TorchTestData.SetGrad(p, g);
            TorchTestData.SetGrad(reference, g);
            opt.step();
            refOpt.step();
        }
        Assert.Equal(dtype, p.dtype);
        Assert.Equal(0, TorchTestData.FastPathParameters(opt));
        var actual = TorchTestData.Values(p);
        var expected = TorchTestData.Values(reference);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{i}: {actual[i]} vs {expected[i]}");
        Assert.All(((dynamic)opt).StateOf(p).Names, (Action<string>)(n => Assert.Equal(ScalarType.Float32, ((TensorState)((dynamic)opt).StateOf(p))[n].dtype)));
    }

    private static float[] Values(Tensor t) => TorchTestData.Values(t);

    [Fact]
    public void Groups_keep_their_own_hyperparameters_and_defaults_fill_the_rest()
    {
        var w = TorchTestData.Param(Random(12, 1), [3, 4]);
        var b = TorchTestData.Param(Random(4, 2), [4]);
        using var opt = Optim.Came(
        [
            new Came.ParamGroup([w], new Came.Options { weight_decay = 0.1 }),
            new Came.ParamGroup([b], new Came.Options { LearningRate = 1e-3 }),
        ], lr: 2e-4, beta3: 0.9995);
        var groups = opt.ParamGroups.Cast<Came.ParamGroup>().ToArray();
        Assert.Equal((2e-4, 0.1, 0.9995, 0.999), (groups[0].LearningRate, groups[0].Options.weight_decay!.Value, groups[0].Options.beta3!.Value, groups[0].Options.beta2!.Value));
        Assert.Equal((1e-3, 0.0, 0.9995), (groups[1].LearningRate, groups[1].Options.weight_decay!.Value, groups[1].Options.beta3!.Value));
    }

    [Fact]
    public void Invalid_hyperparameters_fail_at_construction_naming_the_argument()
    {
        var w = TorchTestData.Param(Random(4, 1), [4]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Came([w], lr: -1));
        Assert.Contains("LearningRate", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Came([w], lr: 1e-3, beta3: 1.0));
        Assert.Contains("RelativeStep", Assert.Throws<ArgumentException>(() => Optim.Adafactor([w], lr: 1e-3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Optim.Lamb([w], eps: -1));
    }

    [Fact]
    public void Step_evaluates_the_closure_and_zero_grad_clears_gradients()
    {
        var w = TorchTestData.Param([1f, 2f, 3f], [3]);
        w.requires_grad_(true);
        using var opt = Optim.Came([w], lr: 0.1);
        var loss = opt.step(() =>
        {
            opt.zero_grad();
            var l = (w * w).sum();
            l.backward();
            return l;
        });
        Assert.Equal(14f, loss.item<float>(), 4);
        Assert.True(TorchTestData.Values(w)[2] < 3f);
        opt.zero_grad();
        Assert.All(TorchTestData.Values(w.grad!), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Learning_rate_schedulers_drive_the_groups()
    {
        var w = TorchTestData.Param(Random(6, 1), [2, 3]);
        using var opt = Optim.Came([w], lr: 1e-2);
        var group = opt.ParamGroups.Single();

        var step = torch.optim.lr_scheduler.StepLR(opt, step_size: 2, gamma: 0.5);
        var seen = new List<double>();
        for (int t = 0; t < 4; t++)
        {
            TorchTestData.SetGrad(w, Random(6, t));
            opt.step();
            step.step();
            seen.Add(group.LearningRate);
        }
        Assert.Equal([1e-2, 5e-3, 5e-3, 2.5e-3], seen.Select(x => Math.Round(x, 10)));

        using var opt2 = Optim.Came([w], lr: 1e-2);
        var lambda = torch.optim.lr_scheduler.LambdaLR(opt2, i => 1.0 / (i + 1));
        opt2.step();
        lambda.step();
        Assert.Equal(5e-3, opt2.ParamGroups.Single().LearningRate, 10);

        using var opt3 = Optim.Came([w], lr: 1e-2);
        var cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt3, T_max: 10, eta_min: 0);
        for (int t = 0; t < 5; t++) { opt3.step(); cosine.step(); }
        Assert.Equal(5e-3, opt3.ParamGroups.Single().LearningRate, 6);

        using var opt4 = Optim.Came([new Came.ParamGroup([w])], lr: 1e-3);
        var oneCycle = torch.optim.lr_scheduler.OneCycleLR(opt4, max_lr: 1e-2, total_steps: 10);
        var betas = new List<double>();
        var rates = new List<double>();
        for (int t = 0; t < 9; t++)
        {
            TorchTestData.SetGrad(w, Random(6, t));
            opt4.step();
            oneCycle.step();
            var g = (Came.ParamGroup)opt4.ParamGroups.Single();
            betas.Add(g.Betas.Item1);
            rates.Add(g.LearningRate);
        }
        Assert.True(rates.Max() > 5e-3 && rates[^1] < rates.Max(), string.Join(", ", rates));
        Assert.True(betas.Min() < betas.Max(), "OneCycleLR cycles beta1 through IBetas");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_non_finite_gradient_changes_nothing(bool fastPath)
    {
        var w = TorchTestData.Param(Random(12, 1), [3, 4]);
        var b = TorchTestData.Param(Random(4, 2), [4]);
        using var opt = Optim.Came([w, b], lr: 1e-2);
        opt.UseFastPath = fastPath;
        TorchTestData.SetGrad(w, Random(12, 3));
        TorchTestData.SetGrad(b, Random(4, 4));
        opt.step();
        var before = Snapshot(opt, w, b);
        var bad = Random(4, 5);
        bad[2] = float.NaN;
        TorchTestData.SetGrad(b, bad);
        var e = Assert.Throws<Engine.NonFiniteGradientException>(() => opt.step());
        Assert.Equal(2, e.Step);
        Assert.Equal(before, Snapshot(opt, w, b));

        opt.NonFinitePolicy = Engine.NonFinitePolicy.SkipStep;
        opt.step();
        Assert.Equal(1, opt.SkippedSteps);
        Assert.Equal(before, Snapshot(opt, w, b));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void A_refused_gradient_is_named_by_its_position_when_parameters_take_both_backends(int badIndex)
    {
        // Parameters 0 and 2 take the CPU kernels, 1 (float64) torch ops: each backend gives its verdicts, and the first
        // refused gradient in step order is the one named, with nothing changed.
        Parameter[] ps =
        [
            TorchTestData.Param(Random(12, 1), [3, 4]),
            TorchTestData.Param(Random(20, 2), [4, 5], ScalarType.Float64),
            TorchTestData.Param(Random(6, 3), [6]),
        ];
        using var opt = Optim.Came(ps, lr: 1e-2);
        for (int i = 0; i < ps.Length; i++) TorchTestData.SetGrad(ps[i], Random((int)ps[i].numel(), 10 + i));
        opt.step();
        Assert.Equal(2, opt.FastPathParameters);
        var before = Snapshot(opt, ps);
        for (int i = 0; i < ps.Length; i++)
        {
            var g = Random((int)ps[i].numel(), 20 + i);
            if (i >= badIndex) g[1] = float.PositiveInfinity;
            TorchTestData.SetGrad(ps[i], g);
        }
        var e = Assert.Throws<Engine.NonFiniteGradientException>(() => opt.step());
        Assert.Contains($"parameter {badIndex} [", e.Message);
        Assert.Equal(before, Snapshot(opt, ps));
    }

    private static string Snapshot(Came opt, params Parameter[] ps) => string.Join("|", ps.Select(p =>
        string.Join(",", TorchTestData.Values(p)) + ";" + opt.StateOf(p).step + ";" +
        string.Join(",", opt.StateOf(p).Names.SelectMany(n => TorchTestData.Values(opt.StateOf(p)[n])))));

    [Fact]
    public void State_holds_4RC_plus_16_R_plus_C_bytes_less_the_factors_for_a_matrix()
    {
        // The adapter keeps the saved tensors (exp_avg and the four factored EMAs); the engine's rsqrt factors are scratch.
        var w = TorchTestData.Param(Random(30 * 40, 1), [30, 40]);
        using var opt = Optim.Came([w], lr: 1e-3);
        Assert.Equal(4L * 30 * 40 + 8L * (30 + 40), opt.StateBytes);
    }
}
