using CameSharp.Cli.Training;
using CameSharp.TorchSharp;
using TorchSharp;

namespace CameSharp.Cli.Tests.Training;

public sealed class OptimizerFactoryTests
{
    [Theory]
    [InlineData("adamw", false, null)]
    [InlineData("adamw-fused", true, StateFormat.Float32)]
    [InlineData("adamw+8bit", true, StateFormat.Blockwise8Bit)]
    [InlineData("adamw-fused+8bit", true, StateFormat.Blockwise8Bit)]
    [InlineData("came-bc", true, StateFormat.Float32)]
    [InlineData("came-bc+8bit", true, StateFormat.Blockwise8Bit)]
    public void A_name_picks_the_implementation_and_the_state_format(string name, bool cameSharp, StateFormat? format)
    {
        using var model = torch.nn.Linear(8, 4);
        using var optimizer = OptimizerFactory.Create(name, model, 1e-3, 0.01);
        Assert.Equal(cameSharp, optimizer is ICameSharpOptimizer);
        if (optimizer is ICameSharpOptimizer ours) Assert.Equal(format, ours.StateFormat);
        if (name.StartsWith("adamw", StringComparison.Ordinal) && cameSharp) Assert.IsType<CameSharp.TorchSharp.AdamW>(optimizer);
    }

    [Fact]
    public void Adamw_fused_takes_adamws_learning_rate() =>
        Assert.Equal(OptimizerFactory.DefaultLearningRate("gpt", "adamw"), OptimizerFactory.DefaultLearningRate("gpt", "adamw-fused"));
}
