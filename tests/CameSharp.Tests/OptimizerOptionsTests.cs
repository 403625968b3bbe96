using System.Text.Json.Nodes;

namespace CameSharp.Tests;

public sealed class OptimizerOptionsTests
{
    public static TheoryData<OptimizerOptions> Samples => new()
    {
        new CameOptions { LearningRate = 2e-4, Beta3 = 0.9995, Eps2 = 1e-12, ClipThreshold = 0.5, WeightDecay = 0.1 },
        new AdafactorOptions(),
        new AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = 1e-3, Beta1 = 0.9, DecayRate = -0.5 },
        new AdamWOptions { LearningRate = 3e-4, Beta2 = 0.95, Eps = 1e-6 },
        new LambOptions { WeightDecay = 0 },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Reference_names_round_trip(OptimizerOptions options)
    {
        var json = JsonNode.Parse(options.ToReference().ToJsonString())!.AsObject();
        Assert.Equal(options, OptimizerOptions.FromReference(options.OptimizerName, json));
    }

    [Fact]
    public void Integers_built_in_code_read_as_numbers()
    {
        var o = (AdamWOptions)OptimizerOptions.FromReference("adamw", new JsonObject { ["lr"] = 1, ["weight_decay"] = 0, ["betas"] = new JsonArray(0, 0.5) });
        Assert.Equal(new AdamWOptions { LearningRate = 1, WeightDecay = 0, Beta1 = 0, Beta2 = 0.5 }, o);
    }

    [Fact]
    public void Missing_keys_take_the_reference_defaults()
    {
        var o = (CameOptions)OptimizerOptions.FromReference("came", new JsonObject { ["lr"] = 1e-3 });
        Assert.Equal(new CameOptions { LearningRate = 1e-3 }, o);
        Assert.Equal(new AdafactorOptions(), OptimizerOptions.FromReference("adafactor", []));
    }

    [Fact]
    public void Unknown_optimizers_keys_and_types_are_refused()
    {
        Assert.Contains("unknown optimizer 'sgd'", Assert.Throws<ArgumentException>(() => OptimizerOptions.FromReference("sgd", [])).Message);
        Assert.Contains("momentum", Assert.Throws<ArgumentException>(() =>
            OptimizerOptions.FromReference("adamw", new JsonObject { ["momentum"] = 0.9 })).Message);
        Assert.Contains("wrong type", Assert.Throws<ArgumentException>(() =>
            OptimizerOptions.FromReference("adamw", new JsonObject { ["lr"] = true })).Message);
        Assert.Contains("3 numbers", Assert.Throws<ArgumentException>(() =>
            OptimizerOptions.FromReference("came", new JsonObject { ["lr"] = 1e-3, ["betas"] = new JsonArray(0.9, 0.999) })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerOptions.FromReference("came", new JsonObject { ["lr"] = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerOptions.FromReference("came", new JsonObject { ["lr"] = 1e-3, ["weight_decay"] = -1L }));
        Assert.Throws<ArgumentException>(() => OptimizerOptions.FromReference("adafactor", new JsonObject { ["lr"] = 1e-3 }));
    }
}
