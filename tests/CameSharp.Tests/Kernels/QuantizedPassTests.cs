using System.Runtime.InteropServices;
using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

/// <summary>
/// Each pass over 8-bit state is the float32 pass on the decoded state, with the result encoded: bit for bit, on shapes
/// whose rows end in partial blocks, that split across chunks, and on two threads. Codes here come from the scalar
/// definition (<see cref="Blockwise8Bit.Encode(float, float, bool, uint)"/>, v dithered by
/// <see cref="Blockwise8Bit.Dither"/> under the moment's key), not from the SIMD codec the passes use.
/// </summary>
public sealed class QuantizedPassTests
{
    [Theory]
    [InlineData(4096)]
    [InlineData(5003)]
    [InlineData(70001)]
    public void AdamW(int n)
    {
        var (p, g, m, v) = Flat(n, seed: 1);
        var q = new Quantized(n, n, m, v);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels([n]);
        kernels.AdamWStep(p8, g, q.M, q.V, 0.999f, 0.9, 0.999, 1e-3f, 0.3f, 1e-8f, moveParameters: true);
        kernels.AdamWStep(p, g, F32(q.DecodedM), F32(q.DecodedV), 0.999f, 0.9, 0.999, 1e-3f, 0.3f, 1e-8f, moveParameters: true);
        AssertBits(p, p8);
        q.AssertEncodes(q.DecodedM, q.DecodedV);
    }

    [Fact]
    public void An_eight_bit_second_moment_decays_as_float32s_does_on_average()
    {
        // Each block's first element holds v = 1 (g² = 1, so its EMA stays put) and with it the block's absmax; the
        // others start at 0.1 and see g = 0, so in float32 they decay as 0.1 · 0.999^t. Rounded to nearest, a code
        // 2^−7 wide never moves by 0.1% of 0.1 and they stayed at 0.1 for good; rounded stochastically they decay.
        const int n = 4096, steps = 1000;
        float[] g = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) (g[i], v[i]) = i % Blockwise8Bit.BlockSize == 0 ? (1f, 1f) : (0f, 0.1f);
        var q = new Quantized(n, n, new float[n], v);
        float[] p = new float[n];
        using var kernels = Kernels([n]);
        for (int t = 1; t <= steps; t++)
            kernels.AdamWStep(p, g, q.M, q.V with { RoundingKey = Blockwise8Bit.RoundingKey(t, tensor: 0) }, 1f, 0.9, 0.999, 1e-3f, 1f, 1e-8f,
                moveParameters: false);
        float[] decoded = q.Decode(q.VData, q.VAbsmax, signed: false);
        double mean = Enumerable.Range(0, n).Where(i => i % Blockwise8Bit.BlockSize != 0).Average(i => (double)decoded[i]);
        double exact = 0.1 * Math.Pow(0.999, steps);
        Assert.InRange(mean, 0.95 * exact, 1.05 * exact);
        Assert.All(Enumerable.Range(0, n / Blockwise8Bit.BlockSize), b => Assert.Equal(1f, decoded[b * Blockwise8Bit.BlockSize], 1e-6f));
    }

    [Theory]
    [InlineData(4099)]
    [InlineData(70001)]
    public void Lamb(int n)
    {
        var (p, g, m, v) = Flat(n, seed: 2);
        var q = new Quantized(n, n, m, v);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels([n]);
        var direction = new LambDirection(10f, 1000f, 1e-6f, 1e-2f);
        var sums8 = kernels.LambMoments(p8, g, q.M, q.V, 0.9, 0.999, direction);
        var sums = kernels.LambMoments(p, g, F32(q.DecodedM), F32(q.DecodedV), 0.9, 0.999, direction);
        Assert.Equal(sums, sums8);
        q.AssertEncodes(q.DecodedM, q.DecodedV);

        float[] decodedM = q.Decode(q.MData, q.MAbsmax, signed: true), decodedV = q.Decode(q.VData, q.VAbsmax, signed: false);
        kernels.LambStep(p8, q.M, q.V, direction, 1e-3, 0.7);
        kernels.LambStep(p, F32(decodedM), F32(decodedV), direction, 1e-3, 0.7);
        AssertBits(p, p8);
    }

    [Theory]
    [InlineData(5003, true)]
    [InlineData(70001, false)]
    public void Vector_momentum_step(int n, bool move)
    {
        var (p, g, m, v) = Flat(n, seed: 3);
        var q = new Quantized(n, n, m, null);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels([n]);
        kernels.MomentumStep(p8, g, v, 0.8, q.M, 0.9, 1e-3f, 1e-2f, 1e-3f, move);
        kernels.MomentumStep(p, g, v, 0.8, F32(q.DecodedM), 0.9, 1e-3f, 1e-2f, 1e-3f, move);
        AssertBits(p, p8);
        q.AssertEncodes(q.DecodedM, null);
    }

    [Fact]
    public void Vector_adafactor_step_with_momentum()
    {
        int n = 70001;
        var (p, g, m, v) = Flat(n, seed: 4);
        var q = new Quantized(n, n, m, null);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels([n]);
        kernels.AdafactorStep(p8, g, v, 1e-3, momentum: true, q.M, 0.9, 1e-5);
        kernels.AdafactorStep(p, g, v, 1e-3, momentum: true, F32(q.DecodedM), 0.9, 1e-5);
        AssertBits(p, p8);
        q.AssertEncodes(q.DecodedM, null);
    }

    public static TheoryData<int[]> FactoredShapes() => new([3, 40, 300], [300, 512], [700, 100], [64, 64]);

    [Theory]
    [MemberData(nameof(FactoredShapes))]
    public void Came_momentum_and_confidence_step(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b), cols = shape[^1];
        var (p, g, m, _) = Flat(n, seed: shape.Sum());
        var q = new Quantized(n, cols, m, null);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels(shape);
        var v8 = Statistic(shape, seed: 5);
        var v = Statistic(shape, seed: 5);
        var s8 = Statistic(shape, seed: 6);
        var s = Statistic(shape, seed: 6);

        double squares8 = kernels.FactoredSquareMeans(g, v8, 1e-30f, 0.999);
        double squares = kernels.FactoredSquareMeans(g, v, 1e-30f, 0.999);
        kernels.CommitFactored(v8, 0.999);
        kernels.CommitFactored(v, 0.999);
        double clip = kernels.ClipScale(squares, n, 1.0);
        Assert.Equal(squares, squares8);
        kernels.CameMomentum(g, v8, clip, q.M, 0.9, 1e-16f, s8);
        kernels.CameMomentum(g, v, clip, F32(q.DecodedM), 0.9, 1e-16f, s);
        AssertBits(s.RowFactor.ToArray(), s8.RowFactor.ToArray());
        AssertBits(s.ColFactor.ToArray(), s8.ColFactor.ToArray());
        q.AssertEncodes(q.DecodedM, null);

        kernels.CommitFactored(s8, 0.9999);
        kernels.CommitFactored(s, 0.9999);
        // The confidence step reads the momentum as stored: the float32 reference takes it decoded.
        float[] decoded = q.Decode(q.MData, q.MAbsmax, signed: true);
        kernels.ConfidenceStep(p8, q.M, s8, 1e-3f, 1e-2f, 2e-3f);
        kernels.ConfidenceStep(p, F32(decoded), s, 1e-3f, 1e-2f, 2e-3f);
        AssertBits(p, p8);
    }

    [Theory]
    [MemberData(nameof(FactoredShapes))]
    public void Factored_adafactor_step_with_momentum(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b), cols = shape[^1];
        var (p, g, m, _) = Flat(n, seed: 7);
        var q = new Quantized(n, cols, m, null);
        float[] p8 = (float[])p.Clone();
        using var kernels = Kernels(shape);
        var v = Statistic(shape, seed: 8);
        kernels.FactoredSquareMeans(g, v, 1e-30f, 0.999);
        kernels.CommitFactored(v, 0.999);
        kernels.AdafactorStep(p8, g, v, 1e-3, momentum: true, q.M, 0.9, 1e-5);
        kernels.AdafactorStep(p, g, v, 1e-3, momentum: true, F32(q.DecodedM), 0.9, 1e-5);
        AssertBits(p, p8);
        q.AssertEncodes(q.DecodedM, null);
    }

    private static CpuKernels Kernels(int[] shape)
    {
        var kernels = new CpuKernels { DegreeOfParallelism = 2 };
        kernels.Reserve(shape);
        return kernels;
    }

    private static Moment<Memory<float>> F32(float[] x) => Moment<Memory<float>>.Float32(x);

    private static (float[] P, float[] G, float[] M, float[] V) Flat(int n, int seed)
    {
        var rng = new Random(seed);
        float[] Draw(Func<double> f) => Enumerable.Range(0, n).Select(_ => (float)f()).ToArray();
        // Magnitudes spread over decades, as real moments are, and some exact zeros.
        float[] m = Draw(() => rng.Next(50) == 0 ? 0 : (rng.NextDouble() - 0.5) * Math.Pow(10, -3 - 3 * rng.NextDouble()));
        return (Draw(() => rng.NextDouble() - 0.5), Draw(() => (rng.NextDouble() - 0.5) * 1e-2), m,
            Draw(() => Math.Pow(10, -4 - 4 * rng.NextDouble())));
    }

    /// <summary>A factored statistic with positive EMAs and room for its means.</summary>
    private static Factored<Memory<float>> Statistic(int[] shape, int seed)
    {
        var rng = new Random(seed);
        int rows = shape[..^1].Aggregate(1, (a, b) => a * b), cols = shape[..^2].Aggregate(1, (a, b) => a * b) * shape[^1];
        float[] Positive(int k) => Enumerable.Range(0, k).Select(_ => (float)(rng.NextDouble() + 0.1) * 1e-4f).ToArray();
        return new(shape, Positive(rows), Positive(cols), new float[rows], new float[cols]);
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>
    /// m (and v) encoded by the definition, with blocks restarting every <c>rowLength</c> elements; the passes update
    /// <see cref="M"/> and <see cref="V"/> in place.
    /// </summary>
    private sealed class Quantized
    {
        private readonly int n, rowLength;

        public Quantized(int n, int rowLength, float[] m, float[]? v)
        {
            this.n = n;
            this.rowLength = rowLength;
            (MData, MAbsmax) = Encode(m, signed: true);
            DecodedM = Decode(MData, MAbsmax, signed: true);
            if (v is null) return;
            (VData, VAbsmax) = Encode(v, signed: false);
            DecodedV = Decode(VData, VAbsmax, signed: false);
        }

        public float[] MData { get; }
        public float[] MAbsmax { get; }
        public float[] DecodedM { get; }
        public float[] VData { get; } = [];
        public float[] VAbsmax { get; } = [];
        public float[] DecodedV { get; } = [];
        public Moment<Memory<float>> M => new(MData, MAbsmax, StateEncoding.SignedCodes);
        public Moment<Memory<float>> V => new(VData, VAbsmax, StateEncoding.UnsignedCodes, Key);

        /// <summary>v's rounding key: any, as long as the passes and the reference use the same.</summary>
        private static readonly uint Key = Blockwise8Bit.RoundingKey(step: 7, tensor: 3);

        /// <summary>Asserts that the stored codes and absmax are those of <paramref name="m"/> and <paramref name="v"/> (the float32 pass's results).</summary>
        public void AssertEncodes(float[] m, float[]? v)
        {
            var (data, absmax) = Encode(m, signed: true);
            AssertBits(absmax, MAbsmax);
            Assert.Equal(Bytes(data), Bytes(MData));
            if (v is null) return;
            (data, absmax) = Encode(v, signed: false);
            AssertBits(absmax, VAbsmax);
            Assert.Equal(Bytes(data), Bytes(VData));
        }

        private byte[] Bytes(float[] data) => MemoryMarshal.AsBytes(data.AsSpan())[..n].ToArray();

        public (float[] Data, float[] Absmax) Encode(float[] x, bool signed)
        {
            var data = new float[(n + 3) / 4];
            var codes = MemoryMarshal.AsBytes(data.AsSpan());
            var absmax = new float[Blockwise8Bit.BlockCount(n, rowLength)];
            int block = 0;
            for (int row = 0; row < n; row += rowLength)
                for (int k = 0; k < rowLength; k += Blockwise8Bit.BlockSize, block++)
                {
                    int start = row + k, end = row + Math.Min(rowLength, k + Blockwise8Bit.BlockSize);
                    float max = 0;
                    for (int i = start; i < end; i++) max = MathF.Max(max, MathF.Abs(x[i]));
                    float inverse = Blockwise8Bit.InverseScale(max);
                    absmax[block] = inverse == 0 ? 0 : max;
                    for (int i = start; i < end; i++)
                        codes[i] = Blockwise8Bit.Encode(x[i], inverse, signed, signed ? Blockwise8Bit.Nearest : Blockwise8Bit.Dither(Key, i));
                }
            return (data, absmax);
        }

        public float[] Decode(float[] data, float[] absmax, bool signed)
        {
            var codes = MemoryMarshal.AsBytes(data.AsSpan());
            var x = new float[n];
            int block = 0;
            for (int row = 0; row < n; row += rowLength)
                for (int k = 0; k < rowLength; k += Blockwise8Bit.BlockSize, block++)
                {
                    float scale = Blockwise8Bit.Scale(absmax[block]);
                    for (int i = row + k; i < row + Math.Min(rowLength, k + Blockwise8Bit.BlockSize); i++)
                        x[i] = Blockwise8Bit.Decode(codes[i], scale, signed);
                }
            return x;
        }
    }
}
