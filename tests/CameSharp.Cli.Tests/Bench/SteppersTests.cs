using CameSharp.Cli.Bench;
using TorchSharp;

namespace CameSharp.Cli.Tests.Bench;

public sealed class SteppersTests
{
    public static TheoryData<string> Names => [.. Steppers.All.Select(s => s.Name)];

    /// <summary>
    /// Every timed step must be a real step: an engine step consumes its gradients, and a bench that set them once
    /// timed empty steps after the first.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Every_timed_step_moves_the_parameters(string name)
    {
        var (_, _, _, create) = Steppers.All.Single(s => s.Name == name);
        using var stepper = create(ParameterSet.Parse("100K"), 1, torch.CPU);
        StepsMove(stepper);
    }

    public static TheoryData<string> DeviceNames => [.. Steppers.All.Where(s => !s.CpuMemoryOnly).Select(s => s.Name)];

    /// <summary>What `came bench --device cuda` times: each torch-based stepper, its tensors and state all on the GPU.</summary>
    [CudaTheory]
    [MemberData(nameof(DeviceNames))]
    public void Every_torch_stepper_steps_tensors_on_cuda(string name)
    {
        var (_, _, _, create) = Steppers.All.Single(s => s.Name == name);
        using var stepper = create(ParameterSet.Parse("100K"), 1, torch.CUDA);
        StepsMove(stepper);
    }

    private static void StepsMove(IStepper stepper)
    {
        stepper.Step();
        for (int t = 0; t < 2; t++)
        {
            var before = stepper.FirstParameter();
            stepper.Step();
            Assert.NotEqual(before, stepper.FirstParameter());
        }
    }
}
