using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>The constants of one of <see cref="Blockwise8Bit"/>'s two codes, as a type argument so that the JIT folds them.</summary>
internal interface ICode
{
    static abstract bool Signed { get; }

    /// <summary>The largest magnitude code: 127 signed, 255 unsigned.</summary>
    static abstract int MaxMagnitude { get; }

    /// <summary>(127 − bias) &lt;&lt; 23: what turns a magnitude code shifted left by 20 into its float's bits.</summary>
    static abstract int ExponentOffset { get; }

    /// <summary>The smallest normal magnitude; below it the code is linear, with the lowest octave's steps.</summary>
    static abstract float MinNormal { get; }

    /// <summary>True where the code is rounded stochastically (second moments), false for round to nearest (momenta).</summary>
    static abstract bool Stochastic { get; }

}

/// <summary>Momenta: sign, 4 exponent bits, 3 fraction bits.</summary>
internal readonly struct SignedCode : ICode
{
    public static bool Signed => true;
    public static int MaxMagnitude => 127;
    public static int ExponentOffset => 111 << 23;
    public static float MinNormal => Blockwise8Bit.SignedMinNormal;
    public static bool Stochastic => false;
}

/// <summary>Second moments: 5 exponent bits, 3 fraction bits.</summary>
internal readonly struct UnsignedCode : ICode
{
    public static bool Signed => false;
    public static int MaxMagnitude => 255;
    public static int ExponentOffset => 95 << 23;
    public static float MinNormal => Blockwise8Bit.UnsignedMinNormal;
    public static bool Stochastic => true;
}

/// <summary>
/// Encodes and decodes one block of <see cref="Blockwise8Bit"/> state: whole vectors with SIMD integer arithmetic on
/// the floats' bits, the elements past the last whole vector one by one with the scalar definition. Both give the same
/// bytes; the tests hold them to <see cref="Blockwise8Bit.Encode(float, float, bool, uint)"/> and <see cref="Blockwise8Bit.Decode"/>.
/// </summary>
internal static class BlockCodec
{
    /// <summary>The values of a block (at most <see cref="Blockwise8Bit.BlockSize"/>) from its codes and absmax.</summary>
    /// <remarks>
    /// Not inlined: CAME's 8-bit momentum pass, timed both ways on this project's machine, ran faster with the codec
    /// called once a block than with it inlined into the block loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Decode<TCode>(ReadOnlySpan<byte> codes, float absmax, Span<float> values) where TCode : struct, ICode
    {
        float scale = Blockwise8Bit.Scale(absmax);
        int n = codes.Length, j = 0;
        int width = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var scalev = new Vector<float>(scale);
            ref byte source = ref MemoryMarshal.GetReference(codes);
            ref float target = ref MemoryMarshal.GetReference(values);
            for (; j <= n - width; j += width)
            {
                var bytes = Vector.LoadUnsafe(ref source, (nuint)j);
                Vector.Widen(bytes, out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> q0, out Vector<uint> q1);
                Vector.Widen(high, out Vector<uint> q2, out Vector<uint> q3);
                int w = Vector<float>.Count;
                (DecodeLanes<TCode>(q0) * scalev).StoreUnsafe(ref target, (nuint)j);
                (DecodeLanes<TCode>(q1) * scalev).StoreUnsafe(ref target, (nuint)(j + w));
                (DecodeLanes<TCode>(q2) * scalev).StoreUnsafe(ref target, (nuint)(j + 2 * w));
                (DecodeLanes<TCode>(q3) * scalev).StoreUnsafe(ref target, (nuint)(j + 3 * w));
            }
        }
        for (; j < n; j++) values[j] = Blockwise8Bit.Decode(codes[j], scale, TCode.Signed);
    }

    /// <summary>Encodes a block's values into <paramref name="codes"/> and returns the block's absmax.</summary>
    /// <param name="values">The block's values.</param>
    /// <param name="codes">Where its codes go.</param>
    /// <param name="key">For a stochastic code, the rounding's key (<see cref="Moment{TTensor}.RoundingKey"/>).</param>
    /// <param name="first">For a stochastic code, the tensor's index of the block's first element, which the dither hashes.</param>
    /// <remarks>Not inlined, as <see cref="Decode{TCode}"/>.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Encode<TCode>(ReadOnlySpan<float> values, Span<byte> codes, uint key = 0, long first = 0) where TCode : struct, ICode
    {
        int n = values.Length, j = 0, w = Vector<float>.Count;
        ref float source = ref MemoryMarshal.GetReference(values);
        // Four running maxima, so that the loop is not one chain of dependent max instructions.
        Vector<float> max0 = Vector<float>.Zero, max1 = Vector<float>.Zero, max2 = Vector<float>.Zero, max3 = Vector<float>.Zero;
        for (; j <= n - 4 * w; j += 4 * w)
        {
            max0 = Vector.Max(max0, Vector.Abs(Vector.LoadUnsafe(ref source, (nuint)j)));
            max1 = Vector.Max(max1, Vector.Abs(Vector.LoadUnsafe(ref source, (nuint)(j + w))));
            max2 = Vector.Max(max2, Vector.Abs(Vector.LoadUnsafe(ref source, (nuint)(j + 2 * w))));
            max3 = Vector.Max(max3, Vector.Abs(Vector.LoadUnsafe(ref source, (nuint)(j + 3 * w))));
        }
        for (; j <= n - w; j += w) max0 = Vector.Max(max0, Vector.Abs(Vector.LoadUnsafe(ref source, (nuint)j)));
        var maxv = Vector.Max(Vector.Max(max0, max1), Vector.Max(max2, max3));
        float absmax = 0;
        for (int k = 0; k < w; k++) absmax = MathF.Max(absmax, maxv[k]);
        for (; j < n; j++) absmax = MathF.Max(absmax, MathF.Abs(values[j]));

        float inverse = Blockwise8Bit.InverseScale(absmax);
        j = 0;
        int width = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var inversev = new Vector<float>(inverse);
            ref byte target = ref MemoryMarshal.GetReference(codes);
            var nearest = new Vector<int>((int)Blockwise8Bit.Nearest);
            // The dither hashes the element's index as the definition does, from its low 32 bits.
            var index = new Vector<uint>(unchecked((uint)first)) + Vector<uint>.Indices;
            var stride = new Vector<uint>((uint)w);
            for (; j <= n - width; j += width)
            {
                var r0 = TCode.Stochastic ? Dither(key, index) : nearest;
                var r1 = TCode.Stochastic ? Dither(key, index + stride) : nearest;
                var r2 = TCode.Stochastic ? Dither(key, index + stride + stride) : nearest;
                var r3 = TCode.Stochastic ? Dither(key, index + stride + stride + stride) : nearest;
                if (TCode.Stochastic) index += new Vector<uint>((uint)width);
                var q0 = EncodeLanes<TCode>(Vector.LoadUnsafe(ref source, (nuint)j), inversev, r0);
                var q1 = EncodeLanes<TCode>(Vector.LoadUnsafe(ref source, (nuint)(j + w)), inversev, r1);
                var q2 = EncodeLanes<TCode>(Vector.LoadUnsafe(ref source, (nuint)(j + 2 * w)), inversev, r2);
                var q3 = EncodeLanes<TCode>(Vector.LoadUnsafe(ref source, (nuint)(j + 3 * w)), inversev, r3);
                Vector.Narrow(Vector.Narrow(q0, q1), Vector.Narrow(q2, q3)).StoreUnsafe(ref target, (nuint)j);
            }
        }
        for (; j < n; j++)
            codes[j] = Blockwise8Bit.Encode(values[j], inverse, TCode.Signed, TCode.Stochastic ? Blockwise8Bit.Dither(key, first + j) : Blockwise8Bit.Nearest);
        return inverse == 0 ? 0 : absmax;
    }

    /// <summary>Codes of whole vectors: the scalar definition, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> EncodeLanes<TCode>(Vector<float> x, Vector<float> inverse, Vector<int> rounding) where TCode : struct, ICode
    {
        var q = Vector.Abs(x) * inverse;
        // The linear range placed in the lowest octave (q + MinNormal), as the definition does: no float-to-int
        // conversion, which costs several times the rest of the encoding on AVX2.
        var linear = Vector.LessThan(q, new Vector<float>(TCode.MinNormal));
        var placed = q + (Vector.AsVectorSingle(linear) & new Vector<float>(TCode.MinNormal));
        var shifted = Vector.ShiftRightArithmetic(Vector.AsVectorInt32(placed) + rounding - new Vector<int>(TCode.ExponentOffset), 20);
        // A true comparison is −1 in every bit: masked to 8, it takes the placed code back down.
        var magnitude = Vector.Min(shifted - (linear & new Vector<int>(8)), new Vector<int>(TCode.MaxMagnitude));
        var code = Vector.AsVectorUInt32(magnitude);
        if (TCode.Signed) code |= Vector.ShiftLeft(Vector.ShiftRightLogical(Vector.AsVectorUInt32(x), 31), 7);
        return code;
    }

    /// <summary><see cref="Blockwise8Bit.Dither"/> of the lanes' indices: <see cref="CounterHash.Bits"/>, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Dither(uint key, Vector<uint> index)
    {
        var h = new Vector<uint>(key) ^ index * new Vector<uint>(0x9E3779B9u);
        h ^= Vector.ShiftRightLogical(h, 16);
        h *= new Vector<uint>(0x85EBCA6Bu);
        h ^= Vector.ShiftRightLogical(h, 13);
        h *= new Vector<uint>(0xC2B2AE35u);
        h ^= Vector.ShiftRightLogical(h, 16);
        return Vector.AsVectorInt32(h & new Vector<uint>(0xFFFFFu));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> DecodeLanes<TCode>(Vector<uint> code) where TCode : struct, ICode
    {
        var magnitude = Vector.AsVectorInt32(TCode.Signed ? code & new Vector<uint>(127) : code);
        // The linear range's codes read as the lowest octave's (code + 8), less that octave's start: exact, and no
        // int-to-float conversion.
        var linear = Vector.LessThan(magnitude, new Vector<int>(8));
        var placed = Vector.AsVectorSingle(Vector.ShiftLeft(magnitude + (linear & new Vector<int>(8)), 20) + new Vector<int>(TCode.ExponentOffset));
        var value = placed - (Vector.AsVectorSingle(linear) & new Vector<float>(TCode.MinNormal));
        if (TCode.Signed) value = Vector.AsVectorSingle(Vector.AsVectorUInt32(value) | Vector.ShiftLeft(code & new Vector<uint>(128), 24));
        return value;
    }
}
