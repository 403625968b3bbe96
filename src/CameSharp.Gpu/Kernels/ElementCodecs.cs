using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// How a kernel reads and writes one element of θ or g stored as <typeparamref name="TElement"/>: every element kernel is
/// generic over a codec, so that one source states the arithmetic (in float32) for every element type and ILGPU compiles
/// each instantiation with the conversion inlined. A struct's interface call on <c>default(TCodec)</c> is resolved at
/// compile time by ILGPU's frontend, on the CPU accelerator and in PTX alike.
/// </summary>
internal interface IElementCodec<TElement> where TElement : unmanaged
{
    /// <summary>The element as float32, exactly (every bfloat16 and float16 value is a float32 value).</summary>
    float Load(TElement element);

    /// <summary>
    /// <paramref name="value"/> rounded to the element type: to nearest with ties to even, or stochastically under
    /// <paramref name="key"/> by a codec that says so (element <paramref name="index"/>'s dither derives from both).
    /// </summary>
    TElement Store(float value, long index, uint key);
}

/// <summary>float32 elements: both directions are the identity, so a float32 kernel does exactly what it did before codecs.</summary>
internal readonly struct Float32Codec : IElementCodec<float>
{
    public float Load(float element) => element;

    public float Store(float value, long index, uint key) => value;
}

/// <summary>
/// bfloat16 elements as their raw bits: float32's upper 16 bits, so a load is a shift and a store rounds the lower 16 bits
/// away by integer arithmetic (the same on every backend, as no accelerator instruction is assumed).
/// </summary>
internal readonly struct BFloat16Codec : IElementCodec<ushort>
{
    /// <summary>The canonical quiet NaN torch's own conversion gives.</summary>
    public const ushort NaN = 0x7FC0;

    public float Load(ushort element) => Interop.IntAsFloat((uint)element << 16);

    public ushort Store(float value, long index, uint key) => Round(value);

    /// <summary><paramref name="value"/> to bfloat16 bits, to nearest with ties to even.</summary>
    public static ushort Round(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        // Rounding a NaN's bits could carry into the exponent or, for a payload in the low bits only, give ∞.
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return NaN;
        // Adding 0x7FFF, plus 1 when the kept part is odd, carries into bit 16 exactly when the dropped half is above
        // one half, or equal to it with an odd kept part: round to nearest, ties to even. A carry out of the mantissa
        // raises the exponent (to ∞ past bfloat16's largest value); subnormals round the same way.
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }
}

/// <summary>
/// float16 (IEEE binary16) elements as their raw bits, converted by integer arithmetic. ILGPU's own <c>Half</c> conversion
/// is not used: its CPU implementation truncates while PTX's <c>cvt.rn</c> rounds to nearest, so the CPU accelerator would
/// not compute what a GPU does.
/// </summary>
internal readonly struct Float16Codec : IElementCodec<ushort>
{
    /// <summary>The quiet NaN torch's own conversion gives, under the NaN's sign.</summary>
    public const ushort NaN = 0x7E00;

    /// <summary>2⁻²⁴, float16's smallest subnormal.</summary>
    private const float SubnormalUnit = 1f / 16777216f;

    public float Load(ushort element)
    {
        uint sign = (uint)(element & 0x8000) << 16;
        uint exponent = (uint)(element >> 10) & 0x1Fu;
        uint mantissa = element & 0x3FFu;
        if (exponent == 0x1F) return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        if (exponent != 0) return Interop.IntAsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
        // Zero or subnormal: mantissa · 2⁻²⁴, exact in float32 (where it is a normal number, so no flush to zero applies).
        return Interop.IntAsFloat(sign | Interop.FloatAsInt(mantissa * SubnormalUnit));
    }

    public ushort Store(float value, long index, uint key)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000u;
        uint magnitude = bits & 0x7FFFFFFFu;
        if (magnitude > 0x7F800000u) return (ushort)(sign | NaN);
        // From 65520 up (halfway between 65504, the largest finite value, and 65536, whose tie goes to the even 65536): ∞.
        if (magnitude >= 0x477FF000u) return (ushort)(sign | 0x7C00u);
        if (magnitude >= 0x38800000u)
        {
            // A normal float16 (from 2⁻¹⁴): move the exponent bias from 127 to 15, then round the 13 dropped mantissa bits
            // to nearest, ties to even, as for bfloat16; a carry raises the exponent.
            uint rebiased = magnitude - 0x38000000u;
            return (ushort)(sign | ((rebiased + 0xFFFu + ((rebiased >> 13) & 1u)) >> 13));
        }
        // A subnormal float16 or zero: the value in units of 2⁻²⁴, rounded to nearest, ties to even. Below 2⁻²⁵ (half a
        // unit) that is 0; rounding up to 1024 units gives 2⁻¹⁴, whose bits are exactly the smallest normal's.
        uint biased = magnitude >> 23;
        if (biased < 102) return (ushort)sign;
        uint significand = (magnitude & 0x7FFFFFu) | 0x800000u;
        int shift = 126 - (int)biased;
        uint units = significand >> shift;
        uint rest = significand & ((1u << shift) - 1u);
        uint half = 1u << (shift - 1);
        if (rest > half || (rest == half && (units & 1u) != 0)) units++;
        return (ushort)(sign | units);
    }
}

/// <summary>
/// bfloat16 elements written with stochastic rounding (<see cref="StochasticRounding"/>): the dither of element
/// <c>index</c> under the step's key decides whether the dropped 16 bits round the magnitude up. Reads as
/// <see cref="BFloat16Codec"/>.
/// </summary>
internal readonly struct StochasticBFloat16Codec : IElementCodec<ushort>
{
    public float Load(ushort element) => Interop.IntAsFloat((uint)element << 16);

    public ushort Store(float value, long index, uint key) => StochasticRounding.ToBFloat16(value, StochasticRounding.Dither(key, index));
}
