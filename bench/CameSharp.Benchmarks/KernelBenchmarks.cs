using BenchmarkDotNet.Attributes;
using CameSharp.Kernels;

namespace CameSharp.Benchmarks;

/// <summary>
/// Each pass of a CAME step on its own, beside the fused AdamW pass, on a GPT-2 MLP weight (768 x 3072, or its
/// transpose) and on GPT-2's embedding (50257 x 768, larger than the caches), per thread count. Bytes each pass
/// moves per element: first pass 4 (g), momentum 12 (g, m, m), apply 12 (m, p, p), AdamW 28.
/// Run: dotnet run -c Release --project bench/CameSharp.Benchmarks -- --filter '*KernelBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private KernelRunner runner = null!;
    private readonly KernelWorkspace workspace = new();
    private readonly SquareMeansJob firstPass = new();
    private readonly CameMomentumJob momentumPass = new();
    private readonly CameApplyJob applyPass = new();
    private readonly AdamWJob adamW = new();
    private FactoredMoment secondMoment = null!, instability = null!;
    private float[] p = [], g = [], m = [], v = [];

    [Params("768x3072", "3072x768", "50257x768")]
    public string Shape { get; set; } = "768x3072";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] shape = [.. Shape.Split('x').Select(int.Parse)];
        int n = shape[0] * shape[1];
        var rng = new Random(1);
        float[] Fill(float scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5) * scale)];
        (p, g, m, v) = (Fill(0.02f), Fill(1e-3f), Fill(1e-3f), new float[n]);
        var layout = new FactoredLayout(shape);
        FactoredMoment Moment() => new(layout, new float[shape[0]], new float[shape[1]]);
        (secondMoment, instability) = (Moment(), Moment());
        workspace.ReserveSecondMoment(secondMoment, n);
        runner = new KernelRunner(Threads);
        // One full step, so every factor holds real values.
        FirstPass();
        secondMoment.Commit(0.999);
        MomentumPass();
        instability.Commit(0.9999);
        ApplyPass();
    }

    [Benchmark(Description = "first pass: means of g^2 + eps1, sum of u^2")]
    public double FirstPass() => firstPass.Execute(runner, workspace, g, 1e-30f, 0.999, secondMoment);

    [Benchmark(Description = "momentum and instability means")]
    public void MomentumPass() => momentumPass.Execute(runner, workspace, g, secondMoment, 1f, m, 0.9, 1e-16f, instability);

    [Benchmark(Description = "apply")]
    public void ApplyPass() => applyPass.Execute(runner, p, m, instability, 1e-4f, 0.01f, 1e-4f);

    [Benchmark(Description = "factor commit (rows + cols)")]
    public void Commit() => secondMoment.Commit(0.999);

    [Benchmark(Description = "AdamW fused pass")]
    public void AdamW() => adamW.Execute(runner, p, g, m, v, 1e-4, 0.9, 0.999, 1e-8, 0.01, 10);

    [GlobalCleanup]
    public void Cleanup() => runner.Dispose();
}
