using CameSharp.Kernels;

namespace CameSharp.Tests.Quantization;

public sealed class Blockwise8BitTests
{
    /// <summary>Every magnitude a code can hold, from the definition's decode with scale 1.</summary>
    private static float[] Magnitudes(bool signed) =>
        Enumerable.Range(0, signed ? 128 : 256).Select(c => Blockwise8Bit.Decode((byte)c, 1f, signed)).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Magnitudes_rise_strictly_from_zero_to_the_top(bool signed)
    {
        float[] values = Magnitudes(signed);
        Assert.Equal(0f, values[0]);
        for (int c = 1; c < values.Length; c++) Assert.True(values[c] > values[c - 1], $"code {c}: {values[c]} <= {values[c - 1]}");
        Assert.Equal(Blockwise8Bit.Top, values[^1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encoding_picks_the_nearest_code_with_ties_away_from_zero(bool signed)
    {
        float[] values = Magnitudes(signed);
        var rng = new Random(signed ? 1 : 2);
        var samples = new List<float>();
        for (int i = 0; i < 20000; i++) samples.Add(Blockwise8Bit.Top * MathF.Pow(2, -(float)rng.NextDouble() * (signed ? 20 : 38)));
        float minNormal = signed ? Blockwise8Bit.SignedMinNormal : Blockwise8Bit.UnsignedMinNormal;
        for (int c = 0; c + 1 < values.Length; c++)
        {
            float mid = (values[c] + values[c + 1]) / 2;
            samples.AddRange([values[c], mid]);
            // Below the normal range q is added to the smallest normal magnitude first, which keeps it to 2^−23 of that
            // magnitude: a float one bit off a midpoint there lands on the midpoint itself (the definition's rounding).
            if (mid >= minNormal) samples.AddRange([MathF.BitDecrement(mid), MathF.BitIncrement(mid)]);
        }
        foreach (float q in samples)
        {
            int code = Blockwise8Bit.Encode(q, 1f, signed);
            int nearest = 0;
            for (int c = 1; c < values.Length; c++)
                if (MathF.Abs(values[c] - q) <= MathF.Abs(values[nearest] - q)) nearest = c;
            Assert.True(code == nearest, $"q = {q:R}: code {code} ({values[code]:R}), nearest {nearest} ({values[nearest]:R})");
        }
    }

    [Fact]
    public void Every_signed_code_decodes_and_encodes_back_to_itself()
    {
        for (int c = 0; c < 256; c++)
        {
            float value = Blockwise8Bit.Decode((byte)c, 1f, signed: true);
            Assert.Equal(c, Blockwise8Bit.Encode(value, 1f, signed: true));
        }
        for (int c = 0; c < 256; c++)
            Assert.Equal(c, Blockwise8Bit.Encode(Blockwise8Bit.Decode((byte)c, 1f, signed: false), 1f, signed: false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_block_keeps_its_largest_element_and_every_element_within_a_step(bool signed)
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            float scale = MathF.Pow(10, rng.Next(-12, 12));
            float[] x = Enumerable.Range(0, 256)
                .Select(_ => (float)((signed ? rng.NextDouble() - 0.5 : rng.NextDouble()) * Math.Pow(10, -3 * rng.NextDouble())) * scale).ToArray();
            var codes = new byte[x.Length];
            float absmax = Encode(x, codes, signed);
            Assert.Equal(x.Max(MathF.Abs), absmax);
            float s = Blockwise8Bit.Scale(absmax);
            float floor = absmax * (signed ? Blockwise8Bit.SignedMinNormal : Blockwise8Bit.UnsignedMinNormal);
            for (int i = 0; i < x.Length; i++)
            {
                float back = Blockwise8Bit.Decode(codes[i], s, signed);
                float error = MathF.Abs(back - x[i]);
                // Rounded to nearest, within half a step (1/16 of the value); stochastically, within a step (1/8).
                Assert.True(error <= MathF.Abs(x[i]) / (signed ? 16 : 8) * 1.0001f + floor, $"x = {x[i]:R} decodes to {back:R}");
                if (MathF.Abs(x[i]) == absmax) Assert.Equal(x[i], back, 1e-6f * absmax);
            }
        }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.0037f)]
    [InlineData(1e-10f)]
    public void Stochastic_rounding_picks_a_neighbouring_code_and_keeps_the_value_in_expectation(float x)
    {
        // A block whose absmax is the code's top: scale 1, so the codes' values are exact.
        float inverse = Blockwise8Bit.InverseScale(Blockwise8Bit.Top), scale = Blockwise8Bit.Scale(Blockwise8Bit.Top);
        Assert.Equal((1f, 1f), (inverse, scale));
        byte below = Blockwise8Bit.Encode(x, inverse, signed: false, rounding: 0);
        float low = Blockwise8Bit.Decode(below, scale, signed: false), high = Blockwise8Bit.Decode((byte)(below + 1), scale, signed: false);
        Assert.InRange(x, low, high);
        const int n = 40_000;
        double sum = 0;
        int up = 0;
        for (int i = 0; i < n; i++)
        {
            byte code = Blockwise8Bit.Encode(x, inverse, signed: false, Blockwise8Bit.Dither(Key, i));
            Assert.True(code == below || code == below + 1, $"code {code} is neither {below} nor {below + 1}");
            if (code != below) up++;
            sum += Blockwise8Bit.Decode(code, scale, signed: false);
        }
        // Up with probability p = (x − low) / (high − low): the mean is x, to within five standard errors of the draws.
        double p = (x - low) / (high - low), tolerance = 5 * Math.Sqrt(p * (1 - p) / n) * (high - low) + 1e-7 * x;
        Assert.True(Math.Abs(sum / n - x) <= tolerance, $"mean {sum / n:R} of x = {x:R} (p = {p:F4}, {up} up of {n})");
        // Round to nearest would not: it returns one code, whichever is closer, every time.
        byte nearest = Blockwise8Bit.Encode(x, inverse, signed: false);
        Assert.Equal(x - low < high - x ? below : below + 1, nearest);
    }

    [Theory]
    [InlineData(1u << 20)]
    [InlineData(uint.MaxValue)]
    public void A_rounding_offset_past_the_dropped_bits_is_refused(uint rounding)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Blockwise8Bit.Encode(0.5f, 1f, signed: false, rounding));
        Assert.Equal("rounding", e.ParamName);
    }

    [Fact]
    public void Dithers_are_uniform_and_differ_by_step_and_tensor()
    {
        uint a = Blockwise8Bit.RoundingKey(1, 0), b = Blockwise8Bit.RoundingKey(2, 0), c = Blockwise8Bit.RoundingKey(1, 1);
        Assert.Equal(a, Blockwise8Bit.RoundingKey(1, 0));
        Assert.Distinct(new[] { a, b, c });
        var d = Enumerable.Range(0, 1 << 16).Select(i => Blockwise8Bit.Dither(a, i)).ToArray();
        Assert.All(d, x => Assert.InRange(x, 0u, (1u << 20) - 1));
        // Uniform on [0, 2^20): mean 2^19, standard error 2^20 / √(12 · 2^16) ≈ 1183.
        Assert.InRange(d.Average(x => (double)x), (1 << 19) - 6000, (1 << 19) + 6000);
        Assert.True(Enumerable.Range(0, 1000).Count(i => Blockwise8Bit.Dither(b, i) == d[i]) < 5);
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(256, false)]
    [InlineData(200, true)]
    [InlineData(37, false)]
    [InlineData(3, true)]
    public void The_simd_codec_gives_the_bytes_and_values_of_the_definition(int length, bool signed)
    {
        var rng = new Random(length);
        foreach (var kind in new[] { "mixed", "zeros", "tiny", "one" })
        {
            float[] x = kind switch
            {
                "zeros" => new float[length],
                "tiny" => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() - (signed ? 0.5 : 0)) * 1e-40f).ToArray(),
                "one" => Enumerable.Range(0, length).Select(i => i == length / 2 ? (signed ? -3f : 3f) : 0f).ToArray(),
                _ => Enumerable.Range(0, length).Select(_ => (float)((signed ? rng.NextDouble() - 0.5 : rng.NextDouble()) * Math.Pow(10, -9 * rng.NextDouble()))).ToArray(),
            };
            var codes = new byte[length];
            float absmax = Encode(x, codes, signed);
            float expectedMax = Blockwise8Bit.InverseScale(x.Max(MathF.Abs)) == 0 ? 0 : x.Max(MathF.Abs);
            Assert.Equal(expectedMax, absmax);
            float inverse = Blockwise8Bit.InverseScale(absmax);
            for (int i = 0; i < length; i++) Assert.Equal(Definition(x[i], inverse, signed, i), codes[i]);

            var decoded = new float[length];
            Decode(codes, absmax, decoded, signed);
            float scale = Blockwise8Bit.Scale(absmax);
            for (int i = 0; i < length; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(Blockwise8Bit.Decode(codes[i], scale, signed)), BitConverter.SingleToInt32Bits(decoded[i]));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_block_near_the_largest_float_decodes_to_finite_values_and_its_zeros_to_zero(bool signed)
    {
        float[] x = new float[256];
        x[3] = signed ? -3.3e38f : 3.3e38f;
        x[7] = 1e30f;
        var codes = new byte[256];
        float absmax = Encode(x, codes, signed);
        Assert.Equal(3.3e38f, absmax);
        var decoded = new float[256];
        Decode(codes, absmax, decoded, signed);
        Assert.All(decoded, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(0f, decoded[0]);
        Assert.InRange(MathF.Abs(decoded[3]) / 3.3e38f, 0.93f, 1f);
    }

    [Theory]
    [InlineData(4096, 4096, 16)]
    [InlineData(4097, 4097, 17)]
    [InlineData(300 * 300, 300, 600)]
    [InlineData(50257L * 768, 768, 150771)]
    public void Blocks_restart_at_each_row(long length, int rowLength, int blocks) =>
        Assert.Equal(blocks, Blockwise8Bit.BlockCount(length, rowLength));

    [Fact]
    public void A_row_length_that_does_not_divide_the_tensor_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Blockwise8Bit.BlockCount(10, 3));
        Assert.Contains("rowLength", e.Message);
    }

    /// <summary>The rounding key and the block's first index that the unsigned code's dither hashes in these tests.</summary>
    private static readonly uint Key = Blockwise8Bit.RoundingKey(step: 11, tensor: 2);
    private const long First = 3 * 65536 + 512;

    /// <summary>The codes of the definition: signed rounded to nearest, unsigned dithered under <see cref="Key"/>.</summary>
    private static byte Definition(float x, float inverse, bool signed, int i) =>
        Blockwise8Bit.Encode(x, inverse, signed, signed ? Blockwise8Bit.Nearest : Blockwise8Bit.Dither(Key, First + i));

    private static float Encode(float[] x, byte[] codes, bool signed) =>
        signed ? BlockCodec.Encode<SignedCode>(x, codes) : BlockCodec.Encode<UnsignedCode>(x, codes, Key, First);

    private static void Decode(byte[] codes, float absmax, float[] values, bool signed)
    {
        if (signed) BlockCodec.Decode<SignedCode>(codes, absmax, values);
        else BlockCodec.Decode<UnsignedCode>(codes, absmax, values);
    }
}
