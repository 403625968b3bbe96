namespace CameSharp.Gpu.Tests;

/// <summary>
/// Stochastic rounding to bfloat16: the rounding itself (unbiased, exact values kept, the edges), the dither (a pure
/// function of key and index), and the kernels writing a bfloat16 parameter with it, bitwise as the float32 step rounded
/// with the same dither.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class StochasticRoundingTests(CpuAcceleratorFixture device)
{
    private static float Load(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    [Fact]
    public void Rounding_keeps_the_value_in_expectation()
    {
        // 1 + 2⁻¹⁰ is an eighth of bfloat16's step (2⁻⁷) above 1: it rounds up for about an eighth of the elements.
        float x = 1f + MathF.Pow(2, -10);
        uint key = StochasticRounding.Key(7, 3, 2);
        const int n = 1 << 16;
        double sum = 0;
        int up = 0;
        for (int i = 0; i < n; i++)
        {
            float rounded = Load(StochasticRounding.ToBFloat16(x, StochasticRounding.Dither(key, i)));
            Assert.True(rounded == 1f || rounded == 1f + MathF.Pow(2, -7), $"{rounded:R}");
            up += rounded > 1f ? 1 : 0;
            sum += rounded;
        }
        Assert.InRange(up / (double)n, 0.12, 0.13);
        Assert.InRange(sum / n - x, -2e-5, 2e-5);
        // The same for a negative value: the magnitude rounds up, away from zero.
        Assert.Equal(-1f - MathF.Pow(2, -7), Load(StochasticRounding.ToBFloat16(-x, 0xFFFF)));
        Assert.Equal(-1f, Load(StochasticRounding.ToBFloat16(-x, 0)));
    }

    [Fact]
    public void Values_bfloat16_holds_are_kept_and_the_edges_are_defined()
    {
        var random = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            ushort bits = (ushort)random.Next(0, 0x7F80);
            uint dither = (uint)random.Next(0, 0x10000);
            Assert.Equal(bits, StochasticRounding.ToBFloat16(Load(bits), dither));
            Assert.Equal((ushort)(bits | 0x8000), StochasticRounding.ToBFloat16(-Load(bits), dither));
        }
        Assert.Equal(0x7FC0, StochasticRounding.ToBFloat16(float.NaN, 0x1234));
        Assert.Equal(0x7F80, StochasticRounding.ToBFloat16(float.PositiveInfinity, 0xFFFF));
        Assert.Equal(0xFF80, StochasticRounding.ToBFloat16(float.NegativeInfinity, 0xFFFF));
        // Past bfloat16's largest finite value (0x7F7F) a finite value stays there rather than becoming ∞.
        Assert.Equal(0x7F7F, StochasticRounding.ToBFloat16(float.MaxValue, 0xFFFF));
        Assert.Equal(0xFF7F, StochasticRounding.ToBFloat16(-float.MaxValue, 0xFFFF));
        // Subnormals round the same way: half of bfloat16's smallest subnormal step goes up with dither ≥ 2¹⁵.
        float half = BitConverter.UInt32BitsToSingle(0x00008000);
        Assert.Equal(0x0000, StochasticRounding.ToBFloat16(half, 0x7FFF));
        Assert.Equal(0x0001, StochasticRounding.ToBFloat16(half, 0x8000));
    }

    [Fact]
    public void The_dither_is_a_function_of_key_and_index_only()
    {
        uint a = StochasticRounding.Key(1, 1, 0), b = StochasticRounding.Key(1, 2, 0), c = StochasticRounding.Key(1, 1, 1), d = StochasticRounding.Key(2, 1, 0);
        Assert.Equal(4, new[] { a, b, c, d }.Distinct().Count());
        Assert.Equal(StochasticRounding.Key(1, 1, 0), a);
        var first = Enumerable.Range(0, 4096).Select(i => StochasticRounding.Dither(a, i)).ToArray();
        Assert.Equal(first, Enumerable.Range(0, 4096).Select(i => StochasticRounding.Dither(a, i)));
        Assert.All(first, x => Assert.InRange(x, 0u, 0xFFFFu));
        // Spread over the 16 bits: each of 16 buckets gets its share of 4096 draws.
        Assert.All(first.GroupBy(x => x >> 12), g => Assert.InRange(g.Count(), 180, 340));
        Assert.NotEqual(first, Enumerable.Range(0, 4096).Select(i => StochasticRounding.Dither(b, i)));
    }

    public static TheoryData<string> Rules() => ["came_bias_correction", "adamw", "adafactor_beta1_lr"];

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_bfloat16_step_with_stochastic_rounding_is_the_float32_step_rounded_with_the_same_dither(string name)
    {
        const ulong seed = 11;
        OptimizerOptions options = name switch
        {
            "came_bias_correction" => new CameOptions { LearningRate = 1e-3, BiasCorrection = true },
            "adamw" => new AdamWOptions { LearningRate = 1e-3, WeightDecay = 1e-2 },
            _ => new AdafactorOptions { LearningRate = 1e-3, RelativeStep = false, ScaleParameter = false, Beta1 = 0.9 },
        };
        int[][] shapes = [[40, 24], [3, 5, 7], [100]];
        var random = new Random(name.Length);
        using var typed = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize, GpuElementType.BFloat16) { StochasticSeed = seed };
        using var reference = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize);
        using var nearest = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize, GpuElementType.BFloat16);
        foreach (var shape in shapes)
        {
            var init = Enumerable.Range(0, shape.Aggregate(1, (x, y) => x * y)).Select(_ => Load((ushort)(0x3F80 + random.Next(-200, 200)))).ToArray();
            typed.Add(init, shape);
            reference.Add(init, shape);
            nearest.Add(init, shape);
        }
        for (int t = 1; t <= 3; t++)
        {
            var gradients = shapes.Select(s => Enumerable.Range(0, s.Aggregate(1, (x, y) => x * y))
                .Select(_ => Load((ushort)(0x3C00 + random.Next(-300, 300)))).ToArray()).ToArray();
            Assert.Equal(-1, typed.Step(options, t, gradients));
            Assert.Equal(-1, reference.Step(options, t, gradients));
            Assert.Equal(-1, nearest.Step(options, t, gradients));
            reference.RoundParametersStochastically(seed, t);
            for (int i = 0; i < shapes.Length; i++) Assert.Equal(reference.Parameter(i), typed.Parameter(i));
        }
        // The rounding is not round to nearest: steps of about lr fall below half of bfloat16's step at 1 (2⁻⁸), so to
        // nearest most values never move, and stochastically some do.
        int differ = Enumerable.Range(0, shapes.Length).Sum(i => typed.Parameter(i).Zip(nearest.Parameter(i)).Count(p => p.First != p.Second));
        Assert.True(differ > 0, "stochastic rounding gave exactly round to nearest");
    }

    [Fact]
    public void Only_a_bfloat16_tensor_takes_stochastic_rounding()
    {
        using var floats = device.Accelerator.Allocate1D<float>(4);
        using var halves = device.Accelerator.Allocate1D<ILGPU.Half>(4);
        Assert.Throws<InvalidOperationException>(() => new GpuTensor(floats.View).WithStochasticRounding(1));
        Assert.Throws<InvalidOperationException>(() => GpuTensor.FromFloat16(halves.View).WithStochasticRounding(1));
    }
}
