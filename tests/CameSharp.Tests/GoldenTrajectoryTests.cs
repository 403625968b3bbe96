using Xunit.Abstractions;
using CameSharp.Tests.Golden;

namespace CameSharp.Tests;

public sealed class GoldenTrajectoryTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(GoldenCases.Files), MemberType = typeof(GoldenCases))]
    public void Engine_follows_the_reference_trajectory(string file)
    {
        GoldenCases.AssertIsFile(file);
        var golden = GoldenTrajectory.Load(file);
        var options = golden.Options();
        var ps = golden.Params.Select(p => new Parameter(p.Name, (float[])p.Init.Clone(), p.Shape)).ToArray();
        using var optimizer = Optimizers.Create(ps, options);
        double worst = 0;
        for (int t = 0; t < golden.Steps.Count; t++)
        {
            foreach (var p in ps) p.Grad = golden.Steps[t].Grads[p.Name];
            optimizer.Step();
            foreach (var (gp, p) in golden.Params.Zip(ps))
            {
                var (error, bound) = golden.Compare(t, gp, p.Data.Span);
                Assert.True(error <= bound, $"{golden.Name}, step {t}, {gp.Name}: max error {error:E3} > bound {bound:E3}");
                worst = Math.Max(worst, error / bound);
            }
        }
        output.WriteLine($"{golden.Name}: worst error is {worst:P2} of the bound");
    }
}
