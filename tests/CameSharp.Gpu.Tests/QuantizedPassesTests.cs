using Xunit.Abstractions;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// The GPU kernels with 8-bit state (<see cref="StateFormat.Blockwise8Bit"/>) against the CPU engine's, both under the
/// same unchanged rules: matrices whose rows end in partial blocks, a batched 3-D tensor, a matrix cut into several row
/// blocks, vectors, a tensor too small to quantize and one whose rows are too short to.
/// </summary>
/// <remarks>
/// Where a step involves no sum (AdamW), the two backends run the same float32 operations on the same codes, so they
/// agree bit for bit, stochastic rounding of v included. Where a factored statistic, an RMS or a norm enters, its sum
/// differs in its last bits between the backends (as in
/// <see cref="GpuKernelsPropertyTests"/>), and a value that lies within those bits of the boundary between two codes
/// rounds to either: a code then differs by one step, its element's update by up to 1/8 of it. The bound below allows
/// such rare flips and nothing like a wrong code or a wrong block.
/// </remarks>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class QuantizedPassesTests(CpuAcceleratorFixture device, ITestOutputHelper output)
{
    private const int Steps = 2;

    public static TheoryData<string> Optimizers() => new(OptionsByName.Keys);

    private static readonly Dictionary<string, Func<OptimizerOptions>> OptionsByName = new()
    {
        ["came"] = () => new CameOptions { LearningRate = 1e-2, WeightDecay = 1e-2 },
        ["came_bias_correction"] = () => new CameOptions { LearningRate = 1e-2, BiasCorrection = true },
        ["adafactor_beta1_lr"] = () => new AdafactorOptions { LearningRate = 1e-2, RelativeStep = false, Beta1 = 0.9, WeightDecay = 1e-2 },
        ["adamw"] = () => new AdamWOptions { LearningRate = 1e-2, WeightDecay = 1e-2 },
        ["lamb"] = () => new LambOptions { LearningRate = 1e-2 },
    };

    /// <summary>
    /// A matrix of rows of 1000 (3 whole blocks and one of 232) cut into two row blocks, a 3-D tensor, vectors, a tensor
    /// too small to quantize, rows of 2 (float32).
    /// </summary>
    private static readonly int[][] Shapes = [[40, 1000], [3, 4, 700], [4500], [1, 5000], [300], [3000, 2]];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Eight_bit_gpu_kernels_step_as_the_cpu_engine(string optimizer)
    {
        var options = OptionsByName[optimizer]();
        var random = new Random(optimizer.Length * 104729);
        var inits = Shapes.Select(s => Values(random, Length(s))).ToArray();
        var gradients = Enumerable.Range(0, Steps).Select(_ => Shapes.Select(s => Values(random, Length(s), 1e-2)).ToArray()).ToArray();
        using var gpu = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize) { Format = StateFormat.Blockwise8Bit };
        using var cpu = new RuleRunner.CpuRunner { Format = StateFormat.Blockwise8Bit };
        foreach (var (init, shape) in inits.Zip(Shapes))
        {
            gpu.Add(init, shape);
            cpu.Add(init, shape);
        }
        bool exact = optimizer == "adamw";
        for (int t = 0; t < Steps; t++)
        {
            Assert.Equal(-1, gpu.Step(options, t + 1, gradients[t]));
            Assert.Equal(-1, cpu.Step(options, t + 1, gradients[t]));
            for (int i = 0; i < Shapes.Length; i++)
            {
                float[] actual = gpu.Parameter(i), expected = cpu.Parameter(i);
                string where = $"{optimizer}, step {t + 1}, shape [{string.Join(", ", Shapes[i])}]";
                if (exact)
                {
                    Assert.True(expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual.Select(BitConverter.SingleToInt32Bits)),
                        $"{where}: not bitwise the CPU engine's");
                    continue;
                }
                double error = 0, moved = 0;
                for (int j = 0; j < expected.Length; j++)
                {
                    error += Math.Pow((double)actual[j] - expected[j], 2);
                    moved += Math.Pow((double)expected[j] - inits[i][j], 2);
                }
                double relative = Math.Sqrt(error / moved);
                output.WriteLine($"{where}: relative difference {relative:E2}");
                Assert.True(relative <= 2e-3, $"{where}: relative difference {relative:E3}");
            }
        }
    }

    [Fact]
    public void Eight_bit_state_is_stored_as_codes_and_absmax()
    {
        var options = new AdamWOptions { LearningRate = 1e-2 };
        var random = new Random(5);
        int[] shape = [4500];
        using var gpu = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize) { Format = StateFormat.Blockwise8Bit };
        gpu.Add(Values(random, 4500), shape);
        Assert.Equal(-1, gpu.Step(options, 1, [Values(random, 4500, 1e-2)]));
        // exp_avg_codes, exp_avg_absmax, exp_avg_sq_codes, exp_avg_sq_absmax: 1125 words of codes, 18 blocks.
        float[][] state = gpu.State(0);
        Assert.Equal([1125, 18, 1125, 18], state.Select(s => s.Length));
        Assert.All(state[1].Concat(state[3]), a => Assert.True(a > 0 && float.IsFinite(a)));
    }

    private static int Length(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static float[] Values(Random random, int n, double scale = 1) =>
        Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * scale * Math.Pow(10, -2 * random.NextDouble()))).ToArray();
}
