using CameSharp.Gpu.Kernels;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// The kernels' element conversions on the host (the CPU accelerator runs the same code; PTX compiles it): loads are exact,
/// stores round to nearest with ties to even, overflow gives ∞, subnormals round like any other value, NaN stays NaN.
/// </summary>
public sealed class ElementCodecTests
{
    /// <summary>float32 bit patterns where bfloat16 rounding has a decision to make.</summary>
    private static readonly uint[] BFloat16Edges =
    [
        0x00000000, 0x80000000, 0x7F800000, 0xFF800000,         // ±0, ±∞
        0x3F808000, 0x3F818000, 0xBF808000, 0xBF818000,         // ties: to the even 0x3F80, and up from the odd 0x3F81
        0x3F807FFF, 0x3F808001, 0x3F80FFFF,                     // just below and above a tie, and just below the next value
        0x00008000, 0x00018000, 0x80018000, 0x0000FFFF, 0x00000001, // subnormal ties and near-zero values
        0x007F8000, 0x007FFFFF,                                 // the largest subnormals, rounding up into the normals
        0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7F8000,         // the largest finite bfloat16, the tie above it (odd: ∞), and float.MaxValue (∞)
        0x7F7EFFFF, 0x7F7E8000,                                 // near the top, without overflow
    ];

    private static readonly uint[] NaNs = [0x7FC00000, 0x7F800001, 0xFF800001, 0x7F80FFFF, 0x7FFFFFFF, 0xFFC00000];

    [Fact]
    public void BFloat16_rounding_is_to_nearest_with_ties_to_even()
    {
        var random = new Random(16);
        var patterns = BFloat16Edges
            .Concat(Enumerable.Range(0, 200_000).Select(_ => (uint)random.NextInt64(0, 1L << 32)))
            .Concat(Enumerable.Range(0, 65_536).Select(k => ((uint)k << 16) | 0x8000)); // every tie
        BFloat16Codec codec = default;
        foreach (uint bits in patterns)
        {
            float x = BitConverter.UInt32BitsToSingle(bits);
            if (float.IsNaN(x)) continue;
            Assert.True(Reference16.BFloat16(x) == codec.Store(x, 0, 0), $"0x{bits:X8}: 0x{codec.Store(x, 0, 0):X4}, expected 0x{Reference16.BFloat16(x):X4}");
        }
        Assert.Equal(0x7F80, codec.Store(BitConverter.UInt32BitsToSingle(0x7F7F8000), 0, 0));
        Assert.Equal(0x7F80, codec.Store(float.MaxValue, 0, 0));
        Assert.Equal(0x0080, codec.Store(BitConverter.UInt32BitsToSingle(0x007F8000), 0, 0));
    }

    [Fact]
    public void BFloat16_keeps_nan_a_nan()
    {
        BFloat16Codec codec = default;
        Assert.All(NaNs, bits => Assert.True(float.IsNaN(codec.Load(codec.Store(BitConverter.UInt32BitsToSingle(bits), 0, 0))), $"0x{bits:X8}"));
        // The quiet NaN torch's CPU conversion gives, whatever the sign and payload.
        Assert.All(NaNs, bits => Assert.Equal(0x7FC0, codec.Store(BitConverter.UInt32BitsToSingle(bits), 0, 0)));
    }

    [Fact]
    public void BFloat16_loads_every_value_exactly()
    {
        BFloat16Codec codec = default;
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float x = codec.Load((ushort)bits);
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(x));
        }
    }

    [Fact]
    public void Float16_rounding_is_ieee_round_to_nearest_even()
    {
        var random = new Random(17);
        // Values across float16's range and past it on both sides, random bit patterns, and every tie between two float16 values.
        var values = Enumerable.Range(0, 200_000)
            .Select(_ => (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-27, 18))))
            .Concat(Enumerable.Range(0, 100_000).Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))))
            .Concat(Enumerable.Range(0, 0x7C00).Select(k => (float)(((double)(float)BitConverter.UInt16BitsToHalf((ushort)k)
                + (double)(float)BitConverter.UInt16BitsToHalf((ushort)(k + 1))) / 2)))
            .Concat([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 65504f, 65519.996f, 65520f, -65520f, 65536f, float.MaxValue,
                6.1035156e-5f, 6.1004353e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 8.940697e-8f, 1e-10f, float.Epsilon]);
        Float16Codec codec = default;
        foreach (float x in values)
        {
            if (float.IsNaN(x)) continue;
            ushort expected = BitConverter.HalfToUInt16Bits((System.Half)x);
            Assert.True(expected == codec.Store(x, 0, 0), $"{x:R} (0x{BitConverter.SingleToUInt32Bits(x):X8}): 0x{codec.Store(x, 0, 0):X4}, expected 0x{expected:X4}");
        }
        Assert.Equal(0x7C00, codec.Store(65520f, 0, 0));
        Assert.Equal(0x7BFF, codec.Store(65519.996f, 0, 0));
        Assert.Equal(0x0000, codec.Store(2.9802322e-8f, 0, 0)); // 2⁻²⁵, half the smallest subnormal: a tie, to the even 0
        Assert.Equal(0x0001, codec.Store(2.9802326e-8f, 0, 0));
    }

    [Fact]
    public void Float16_keeps_nan_a_nan_and_loads_every_value_exactly()
    {
        Float16Codec codec = default;
        Assert.All(NaNs, bits => Assert.True(float.IsNaN(codec.Load(codec.Store(BitConverter.UInt32BitsToSingle(bits), 0, 0))), $"0x{bits:X8}"));
        // The quiet NaN torch's CPU conversion gives, under the NaN's sign.
        Assert.Equal(0x7E00, codec.Store(BitConverter.UInt32BitsToSingle(0x7F800001), 0, 0));
        Assert.Equal(0xFE00, codec.Store(BitConverter.UInt32BitsToSingle(0xFFC00000), 0, 0));
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits), actual = codec.Load((ushort)bits);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"0x{bits:X4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
        }
    }
}
