using CameSharp.Tests.Golden;
using Xunit.Abstractions;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// The golden files again, through TorchSharp tensors: CAME, Adafactor and LAMB through the CPU fast path (the
/// engine's kernels on tensor memory) and through the torch-op path; adamw files through TorchSharp's own AdamW, and
/// through CameSharp's on both paths.
/// </summary>
public sealed class GoldenTrajectoryTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        GoldenCases.Files().SelectMany(f => new[] { new object[] { f[0], "fast" }, [f[0], "ops"] });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Adapter_follows_the_reference_trajectory(string file, string path)
    {
        GoldenCases.AssertIsFile(file);
        var golden = GoldenTrajectory.Load(file);
        var ps = golden.Params.Select(p => TorchTestData.Param(p.Init, p.Shape)).ToArray();
        using var optimizer = TorchTestData.Create(ps, golden.Options());
        TorchTestData.SetFastPath(optimizer, path == "fast");
        double worst = 0;
        for (int t = 0; t < golden.Steps.Count; t++)
        {
            foreach (var (gp, p) in golden.Params.Zip(ps)) TorchTestData.SetGrad(p, golden.Steps[t].Grads[gp.Name]);
            optimizer.step();
            if (golden.Optimizer != "adamw")
                Assert.Equal(path == "fast" ? ps.Length : 0, TorchTestData.FastPathParameters(optimizer));
            foreach (var (gp, p) in golden.Params.Zip(ps))
            {
                var (error, bound) = golden.Compare(t, gp, TorchTestData.Values(p));
                Assert.True(error <= bound, $"{golden.Name} ({path}), step {t}, {gp.Name}: max error {error:E3} > bound {bound:E3}");
                worst = Math.Max(worst, error / bound);
            }
        }
        output.WriteLine($"{golden.Name} ({path}): worst error is {worst:P2} of the bound");
    }

    public static IEnumerable<object[]> AdamWCases() =>
        Cases().Where(c => GoldenTrajectory.Load((string)c[0]).Optimizer == "adamw");

    [Theory]
    [MemberData(nameof(AdamWCases))]
    public void CameSharp_AdamW_follows_the_reference_trajectory(string file, string path)
    {
        var golden = GoldenTrajectory.Load(file);
        var ps = golden.Params.Select(p => TorchTestData.Param(p.Init, p.Shape)).ToArray();
        using var optimizer = TorchTestData.CameSharpAdamW(ps, (Engine.AdamWOptions)golden.Options());
        optimizer.UseFastPath = path == "fast";
        double worst = 0;
        for (int t = 0; t < golden.Steps.Count; t++)
        {
            foreach (var (gp, p) in golden.Params.Zip(ps)) TorchTestData.SetGrad(p, golden.Steps[t].Grads[gp.Name]);
            optimizer.step();
            Assert.Equal(path == "fast" ? ps.Length : 0, optimizer.FastPathParameters);
            foreach (var (gp, p) in golden.Params.Zip(ps))
            {
                var (error, bound) = golden.Compare(t, gp, TorchTestData.Values(p));
                Assert.True(error <= bound, $"{golden.Name} (CameSharp AdamW, {path}), step {t}, {gp.Name}: max error {error:E3} > bound {bound:E3}");
                worst = Math.Max(worst, error / bound);
            }
        }
        output.WriteLine($"{golden.Name} (CameSharp AdamW, {path}): worst error is {worst:P2} of the bound");
    }
}
