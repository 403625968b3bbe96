using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace CameSharp.Benchmarks;

/// <summary>
/// Micro-benchmarks of one engine step on a GPT-2-sized MLP weight (768 x 3072) and its bias, per optimizer and thread
/// count. Run: dotnet run -c Release --project bench/CameSharp.Benchmarks -- --filter '*'
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private Optimizer optimizer = null!;
    private float[][] gradients = [];

    [Params("came", "adafactor", "adamw", "lamb")]
    public string Name { get; set; } = "came";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var w = new Parameter("w", Fill(768 * 3072), 768, 3072);
        var b = new Parameter("b", Fill(3072));
        gradients = [Fill(768 * 3072), Fill(3072)];
        optimizer = Name switch
        {
            "came" => new Came([w, b], new CameOptions { LearningRate = 1e-4 }),
            "adafactor" => new Adafactor([w, b], new AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = 1e-4, Beta1 = 0.9 }),
            "adamw" => new AdamW([w, b], new AdamWOptions { LearningRate = 1e-4 }),
            _ => new Lamb([w, b], new LambOptions { LearningRate = 1e-4 }),
        };
        optimizer.DegreeOfParallelism = Threads;
        Step();
    }

    /// <summary>One step; each consumes the gradients, so they are set again (the same buffers: no copy).</summary>
    [Benchmark]
    public void Step()
    {
        for (int i = 0; i < gradients.Length; i++) optimizer.Parameters[i].Grad = gradients[i];
        optimizer.Step();
    }

    [GlobalCleanup]
    public void Cleanup() => optimizer.Dispose();
}

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
