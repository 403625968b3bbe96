using CameSharp.Tests.Golden;
using Xunit.Abstractions;

namespace CameSharp.Gpu.Tests;

/// <summary>Every golden file through the unchanged rules on <see cref="GpuKernels"/>, on ILGPU's CPU accelerator.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class GpuGoldenTrajectoryTests(CpuAcceleratorFixture device, ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(GoldenCases.Files), MemberType = typeof(GoldenCases))]
    public void Gpu_kernels_follow_the_reference_trajectory(string file)
    {
        GoldenCases.AssertIsFile(file);
        var golden = GoldenTrajectory.Load(file);
        var options = golden.Options();
        using var runner = RuleRunner.On(device.Accelerator);
        foreach (var p in golden.Params) runner.Add(p.Init, p.Shape);
        double worst = 0;
        for (int t = 0; t < golden.Steps.Count; t++)
        {
            var grads = golden.Params.Select(p => golden.Steps[t].Grads[p.Name]).ToArray();
            Assert.Equal(-1, runner.Step(options, t + 1, grads));
            for (int i = 0; i < golden.Params.Count; i++)
            {
                var gp = golden.Params[i];
                var (error, bound) = golden.Compare(t, gp, runner.Parameter(i));
                Assert.True(error <= bound, $"{golden.Name}, step {t}, {gp.Name}: max error {error:E3} > bound {bound:E3}");
                worst = Math.Max(worst, error / bound);
            }
        }
        output.WriteLine($"{golden.Name}: worst error is {worst:P2} of the bound");
    }
}
