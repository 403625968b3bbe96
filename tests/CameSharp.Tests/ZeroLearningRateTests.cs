using System.Text.Json.Nodes;
using CameSharp.Tests.Reference;

namespace CameSharp.Tests;

/// <summary>
/// A learning rate of 0, as a warmup from 0 or a schedule ending at 0 sets it: accepted, the parameters do not move
/// (bitwise), and the state advances as torch.optim's does.
/// </summary>
public sealed class ZeroLearningRateTests
{
    private const double Lr = 1e-2;

    /// <summary>Options with learning rate <paramref name="lr"/>; Adafactor without momentum, whose parameters stay put at 0.</summary>
    private static OptimizerOptions Options(string name, double lr) => name switch
    {
        "adafactor" => new AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = lr, WeightDecay = 0.01 },
        _ => OptimizerTests.OptionsFor(name, lr),
    };

    private static Parameter[] Parameters()
    {
        var ps = new[]
        {
            new Parameter("w", OptimizerTests.Random(24, 1), 4, 6), new Parameter("b", OptimizerTests.Random(6, 2)),
            new Parameter("v", OptimizerTests.Random(24, 3), 2, 3, 4),
        };
        PlantNegativeZeros(ps);
        return ps;
    }

    /// <summary>Makes every third value −0: a pass computing p − 0·x turns some into +0, which only a bitwise comparison sees.</summary>
    private static void PlantNegativeZeros(Parameter[] ps)
    {
        foreach (var p in ps)
            for (int i = 0; i < p.Length; i += 3) p.Data.Span[i] = -0f;
    }

    private static void SetGradients(Parameter[] ps, int seed)
    {
        for (int i = 0; i < ps.Length; i++) ps[i].Grad = OptimizerTests.Random(ps[i].Length, seed * 10 + i);
    }

    private static int[] Bits(IEnumerable<float> values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static int[] ParameterBits(Parameter[] ps) => Bits(ps.SelectMany(p => p.Data.ToArray()));

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void At_a_learning_rate_of_0_parameters_stay_bitwise_and_the_state_advances_as_in_torch(string name)
    {
        // The optimizer under test: one step at Lr, one at 0, one at Lr.
        var ps = Parameters();
        using var opt = OptimizerTests.Create(name, (ps, Options(name, Lr)));
        // The control takes its second step at Lr too and then has its parameters put back, which is what torch.optim
        // does at lr 0: the state advances with the gradient and the parameters stay. Every state here is independent
        // of the learning rate, so the two must agree bitwise from then on.
        var control = Parameters();
        using var controlOpt = OptimizerTests.Create(name, (control, Options(name, Lr)));

        SetGradients(ps, 1);
        SetGradients(control, 1);
        opt.Step();
        controlOpt.Step();
        PlantNegativeZeros(ps);
        PlantNegativeZeros(control);

        var parametersBefore = ParameterBits(ps);
        var stateBefore = Bits(OptimizerTests.StateValues(opt));
        OptimizerTests.SetOptions(opt, Options(name, 0));
        SetGradients(ps, 2);
        opt.Step();
        Assert.Equal(parametersBefore, ParameterBits(ps));
        Assert.NotEqual(stateBefore, Bits(OptimizerTests.StateValues(opt)));
        Assert.All(ps, p => Assert.Equal(2, OptimizerTests.StepCount(opt, p)));

        SetGradients(control, 2);
        controlOpt.Step();
        for (int i = 0; i < ps.Length; i++) ps[i].Data.CopyTo(control[i].Data);
        Assert.Equal(Bits(OptimizerTests.StateValues(controlOpt)), Bits(OptimizerTests.StateValues(opt)));

        OptimizerTests.SetOptions(opt, Options(name, Lr));
        SetGradients(ps, 3);
        SetGradients(control, 3);
        opt.Step();
        controlOpt.Step();
        Assert.NotEqual(parametersBefore, ParameterBits(ps));
        Assert.Equal(ParameterBits(control), ParameterBits(ps));
        Assert.Equal(Bits(OptimizerTests.StateValues(controlOpt)), Bits(OptimizerTests.StateValues(opt)));
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void A_trajectory_through_a_learning_rate_of_0_follows_the_reference(string name)
    {
        var ps = Parameters();
        using var opt = OptimizerTests.Create(name, (ps, OptimizerTests.OptionsFor(name, 0)));
        var reference = ScalarOptimizer.For(OptimizerTests.OptionsFor(name, 0));
        var expected = ps.Select(p => p.Data.ToArray().Select(x => (double)x).ToArray()).ToArray();
        double[] schedule = [0, Lr, 0, Lr / 2];
        for (int t = 0; t < schedule.Length; t++)
        {
            var options = OptimizerTests.OptionsFor(name, schedule[t]);
            OptimizerTests.SetOptions(opt, options);
            reference.Options = options;
            SetGradients(ps, t + 1);
            for (int i = 0; i < ps.Length; i++)
                reference.Step(ps[i].Name, expected[i], ps[i].Grad.ToArray().Select(x => (double)x).ToArray(), ps[i].GetShape());
            opt.Step();
        }
        for (int i = 0; i < ps.Length; i++)
        {
            var actual = ps[i].Data.ToArray();
            for (int j = 0; j < actual.Length; j++) Assert.Equal(expected[i][j], actual[j], 4);
        }
    }

    [Fact]
    public void Adafactor_with_momentum_coasts_at_a_learning_rate_of_0_as_transformers_does()
    {
        // Its momentum holds updates already scaled by the learning rate, so at 0 the parameters still move by β1·m.
        var ps = Parameters();
        using var opt = OptimizerTests.Create("adafactor", (ps, OptimizerTests.OptionsFor("adafactor", Lr)));
        SetGradients(ps, 1);
        opt.Step();
        var before = ps.Select(p => p.Data.ToArray()).ToArray();
        var momentum = ((Adafactor)opt).ParamGroups[0].Parameters.Select(p => ((Adafactor)opt).States[p].Tensors.Single(t => t.Name == "exp_avg").Data.ToArray()).ToArray();
        OptimizerTests.SetOptions(opt, OptimizerTests.OptionsFor("adafactor", 0));
        SetGradients(ps, 2);
        opt.Step();
        for (int i = 0; i < ps.Length; i++)
        {
            var after = ps[i].Data.ToArray();
            for (int j = 0; j < after.Length; j++) Assert.Equal(before[i][j] - 0.9 * momentum[i][j], after[j], 5);
        }
    }

    [Fact]
    public void A_learning_rate_of_0_is_accepted_in_options_and_in_checkpoint_metadata()
    {
        Assert.Equal(0, new CameOptions { LearningRate = 0 }.LearningRate);
        Assert.Equal(0, new AdafactorOptions { RelativeStep = false, LearningRate = 0 }.LearningRate);
        Assert.Equal(0, new AdamWOptions { LearningRate = 0 }.LearningRate);
        Assert.Equal(0, new LambOptions { LearningRate = 0 }.LearningRate);
        Assert.Equal(0, ((CameOptions)OptimizerOptions.FromReference("came", new JsonObject { ["lr"] = 0 })).LearningRate);
        Assert.Equal(0, ((AdamWOptions)OptimizerOptions.FromReference("adamw", new JsonObject { ["lr"] = 0 })).LearningRate);
        Assert.Equal(0, ((LambOptions)OptimizerOptions.FromReference("lamb", new JsonObject { ["lr"] = 0 })).LearningRate);
        var adafactor = (AdafactorOptions)OptimizerOptions.FromReference("adafactor", new JsonObject { ["lr"] = 0, ["relative_step"] = false });
        Assert.Equal(0, adafactor.LearningRate);
    }

    [Fact]
    public void A_checkpoint_saved_at_a_learning_rate_of_0_loads_and_resumes()
    {
        var ps = Parameters();
        using var opt = OptimizerTests.Create("came", (ps, OptimizerTests.OptionsFor("came", 0)));
        SetGradients(ps, 1);
        opt.Step();
        using var file = new MemoryStream();
        opt.Save(file);

        var other = Parameters();
        using var loaded = OptimizerTests.Create("came", (other, OptimizerTests.OptionsFor("came", Lr)));
        file.Position = 0;
        loaded.Load(file);
        Assert.Equal(0, ((Came)loaded).ParamGroups[0].Options.LearningRate);
        Assert.Equal(Bits(OptimizerTests.StateValues(opt)), Bits(OptimizerTests.StateValues(loaded)));
    }
}
