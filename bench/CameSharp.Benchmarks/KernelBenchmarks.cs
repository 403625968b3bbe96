using BenchmarkDotNet.Attributes;
using CameSharp.Kernels;

namespace CameSharp.Benchmarks;

/// <summary>
/// Each pass of a CAME step on its own (the CPU backend's public passes, as <see cref="CameRule"/> calls them), beside
/// the fused AdamW pass, on a GPT-2 MLP weight (768 x 3072, or its transpose) and on GPT-2's embedding (50257 x 768,
/// larger than the caches), per thread count. Bytes each pass moves per element: first pass 4 (g), momentum 12
/// (g, m, m), apply 12 (m, p, p), AdamW 28.
/// Run: dotnet run -c Release --project bench/CameSharp.Benchmarks -- --filter '*KernelBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private CpuKernels kernels = null!;
    private Factored<Memory<float>> secondMoment, instability;
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
        Factored<Memory<float>> Statistic() => new(shape, new float[shape[0]], new float[shape[1]], new float[shape[0]], new float[shape[1]]);
        (secondMoment, instability) = (Statistic(), Statistic());
        kernels = new CpuKernels { DegreeOfParallelism = Threads };
        kernels.Reserve(shape);
        // One full step, so every factor holds real values.
        FirstPass();
        kernels.CommitFactored(secondMoment, 0.999);
        MomentumPass();
        kernels.CommitFactored(instability, 0.9999);
        ApplyPass();
    }

    [Benchmark(Description = "first pass: means of g^2 + eps1, sum of u^2")]
    public double FirstPass() => kernels.FactoredSquareMeans(g, secondMoment, 1e-30f, 0.999);

    [Benchmark(Description = "momentum and instability means")]
    public void MomentumPass() => kernels.CameMomentum(g, secondMoment, 1.0, Moment<Memory<float>>.Float32(m), 0.9, 1e-16f, instability);

    [Benchmark(Description = "apply")]
    public void ApplyPass() => kernels.ConfidenceStep(p, Moment<Memory<float>>.Float32(m), instability, 1e-4f, 0.01f, 1e-4f);

    [Benchmark(Description = "factor commit (rows + cols)")]
    public void Commit() => kernels.CommitFactored(secondMoment, 0.999);

    [Benchmark(Description = "AdamW fused pass")]
    public void AdamW() => kernels.AdamWStep(p, g, Moment<Memory<float>>.Float32(m), Moment<Memory<float>>.Float32(v), 1 - 1e-4f * 0.01f, 0.9, 0.999, 1e-4f / (1 - MathF.Pow(0.9f, 10)),
        MathF.Sqrt(1 - MathF.Pow(0.999f, 10)), 1e-8f, moveParameters: true);

    [GlobalCleanup]
    public void Cleanup() => kernels.Dispose();
}
