using Xunit.Abstractions;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// <see cref="GpuKernels"/> against the CPU engine's kernels, both under the same unchanged rules, over shapes that take
/// every path of the kernels: a single row or column, batched 3-D and 4-D tensors, matrices cut into several row blocks
/// (column partial sums) and rows wider than a tile; gradient scales from 1e-8 to 1e8, zero rows, several steps.
/// </summary>
/// <remarks>
/// Both backends run the same float32 formulas; they differ only in the order of their sums (the row and column means,
/// Σu², Σr², RMS(θ): trees over groups here, SIMD lanes and chunks there), a relative error of a few float32 ulps in a
/// statistic. Through rsqrt and the clip that stays a relative error of the same order in each update, so the parameters
/// may differ by a small multiple of 2⁻²³ of their movement: the bound below is 4 · 10⁻⁶ of the largest movement
/// (about 30 ulps), plus the rounding of the parameters themselves as in the golden rule.
/// </remarks>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class GpuKernelsPropertyTests(CpuAcceleratorFixture device, ITestOutputHelper output)
{
    private const double MovementTolerance = 4e-6;
    private const int Steps = 2;

    public static TheoryData<string> Optimizers() => new(OptionsByName.Keys);

    private static readonly Dictionary<string, Func<OptimizerOptions>> OptionsByName = new()
    {
        ["came"] = () => new CameOptions { LearningRate = 1e-2, WeightDecay = 1e-2 },
        ["came_bias_correction"] = () => new CameOptions { LearningRate = 1e-2, BiasCorrection = true },
        ["adafactor"] = () => new AdafactorOptions(),
        ["adafactor_beta1_lr"] = () => new AdafactorOptions { LearningRate = 1e-2, RelativeStep = false, Beta1 = 0.9, WeightDecay = 1e-2 },
        ["adamw"] = () => new AdamWOptions { LearningRate = 1e-2 },
        ["lamb"] = () => new LambOptions { LearningRate = 1e-2 },
    };

    private static readonly int[][] Shapes =
    [
        [1, 300], [300, 1], [3, 5, 7], [2, 3, 4, 5], [5, 16384], [1, 40000], [17],
    ];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Gpu_kernels_step_as_the_cpu_engine(string optimizer)
    {
        var options = OptionsByName[optimizer]();
        var random = new Random(optimizer.Length * 7919);
        var inits = Shapes.Select(s => Values(random, Length(s), 1)).ToArray();
        var gradients = Enumerable.Range(0, Steps).Select(_ => Shapes.Select(s => Gradient(random, s)).ToArray()).ToArray();
        using var gpu = RuleRunner.On(device.Accelerator);
        using var cpu = RuleRunner.OnCpu();
        foreach (var (init, shape) in inits.Zip(Shapes))
        {
            gpu.Add(init, shape);
            cpu.Add(init, shape);
        }
        double worst = 0;
        for (int t = 0; t < Steps; t++)
        {
            Assert.Equal(-1, gpu.Step(options, t + 1, gradients[t]));
            Assert.Equal(-1, cpu.Step(options, t + 1, gradients[t]));
            for (int i = 0; i < Shapes.Length; i++)
            {
                float[] actual = gpu.Parameter(i), expected = cpu.Parameter(i);
                double error = 0, moved = 0, scale = 0;
                for (int j = 0; j < expected.Length; j++)
                {
                    error = Math.Max(error, Math.Abs((double)actual[j] - expected[j]));
                    moved = Math.Max(moved, Math.Abs((double)expected[j] - inits[i][j]));
                    scale = Math.Max(scale, Math.Abs(expected[j]));
                }
                if (double.IsNaN(error)) error = double.PositiveInfinity;
                double bound = MovementTolerance * moved + 4.0 * (t + 1) * Math.Pow(2, -23) * scale;
                Assert.True(error <= bound, $"{optimizer}, step {t + 1}, shape [{string.Join(", ", Shapes[i])}]: {error:E3} > {bound:E3}");
                worst = Math.Max(worst, bound == 0 ? 0 : error / bound);
            }
        }
        output.WriteLine($"{optimizer}: worst difference {worst:P1} of the bound");
    }

    [Fact]
    public void The_same_inputs_give_bitwise_the_same_parameters()
    {
        var options = new CameOptions { LearningRate = 1e-2, BiasCorrection = true };
        var random = new Random(12);
        int[] shape = [5, 16384];
        var init = Values(random, Length(shape), 1);
        var gradients = Enumerable.Range(0, 2).Select(_ => Gradient(random, shape)).ToArray();
        float[] Run()
        {
            using var gpu = RuleRunner.On(device.Accelerator);
            gpu.Add(init, shape);
            for (int t = 0; t < gradients.Length; t++) Assert.Equal(-1, gpu.Step(options, t + 1, [gradients[t]]));
            return gpu.Parameter(0);
        }
        Assert.Equal(Run().Select(BitConverter.SingleToInt32Bits), Run().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(1e20f)]
    public void A_gradient_that_is_not_usable_is_refused_in_step_order(float bad)
    {
        var options = new CameOptions { LearningRate = 1e-3 };
        using var gpu = RuleRunner.On(device.Accelerator);
        int[][] shapes = [[4, 5], [7], [3, 2, 2]];
        foreach (var s in shapes) gpu.Add(new float[Length(s)], s);
        var grads = shapes.Select(s => Enumerable.Repeat(0.5f, Length(s)).ToArray()).ToArray();
        grads[1][3] = bad;
        grads[2][0] = bad;
        Assert.Equal(1, gpu.Step(options, 1, grads));
        Assert.All(Enumerable.Range(0, shapes.Length), i => Assert.All(gpu.Parameter(i), p => Assert.Equal(0f, p)));
    }

    private static int Length(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static float[] Values(Random random, int length, double scale) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();

    /// <summary>A gradient of a random scale in [1e-8, 1e8], with every fifth row (or element, for a vector) zero.</summary>
    private static float[] Gradient(Random random, int[] shape)
    {
        var g = Values(random, Length(shape), Math.Pow(10, random.Next(-8, 9)));
        int cols = shape.Length >= 2 ? shape[^1] : 1;
        for (int row = 0; row * cols < g.Length; row += 5) Array.Clear(g, row * cols, cols);
        return g;
    }
}
