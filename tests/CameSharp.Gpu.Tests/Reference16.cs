namespace CameSharp.Gpu.Tests;

/// <summary>
/// float32 ↔ 16-bit conversions on the host, written here independently of the kernels' codecs, for the tests to compare
/// with: bfloat16 rounding by comparing the two candidate neighbours' distances in double, float16 through .NET's
/// <see cref="System.Half"/> (IEEE 754 round to nearest, ties to even).
/// </summary>
internal static class Reference16
{
    /// <summary><paramref name="x"/> rounded to <paramref name="type"/>, as its bits (float32: not used).</summary>
    public static ushort Bits(float x, GpuElementType type) => type switch
    {
        GpuElementType.BFloat16 => BFloat16(x),
        GpuElementType.Float16 => BitConverter.HalfToUInt16Bits((System.Half)x),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a 16-bit element type."),
    };

    /// <summary>The value of 16-bit <paramref name="bits"/> of <paramref name="type"/>, exactly.</summary>
    public static float Value(ushort bits, GpuElementType type) => type switch
    {
        GpuElementType.BFloat16 => BitConverter.Int32BitsToSingle(bits << 16),
        GpuElementType.Float16 => (float)BitConverter.UInt16BitsToHalf(bits),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a 16-bit element type."),
    };

    /// <summary><paramref name="x"/> rounded to the nearest value of <paramref name="type"/>, as float32.</summary>
    public static float Round(float x, GpuElementType type) => type == GpuElementType.Float32 ? x : Value(Bits(x, type), type);

    /// <summary>
    /// float32 to bfloat16, to nearest with ties to even: of the two bfloat16 values around x (its upper 16 bits, and the
    /// next magnitude up), the nearer, measured in double (exact here); beyond the largest finite value the next one up
    /// counts as 2¹²⁸, so overflow gives ∞ as IEEE 754 rounding does. NaN gives the quiet NaN 0x7FC0.
    /// </summary>
    public static ushort BFloat16(float x)
    {
        if (float.IsNaN(x)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        var down = (ushort)(bits >> 16);
        if ((bits & 0xFFFF) == 0) return down;
        var up = (ushort)(down + 1);
        double magnitude = Math.Abs((double)x);
        double lower = Math.Abs((double)BitConverter.Int32BitsToSingle(down << 16));
        double upper = (up & 0x7FFF) == 0x7F80 ? Math.Pow(2, 128) : Math.Abs((double)BitConverter.Int32BitsToSingle(up << 16));
        double below = magnitude - lower, above = upper - magnitude;
        return below < above ? down : above < below ? up : (down & 1) == 0 ? down : up;
    }
}
