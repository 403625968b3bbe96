using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// A full-size moment (m or v) as a kernel reads it, element by element: float32 values, or the 8-bit codes of
/// <see cref="Blockwise8Bit"/> decoded on the fly. Kernels that only read a moment are generic over it, so one kernel
/// serves both formats; kernels that write 8-bit codes need a block's absmax first and are in <see cref="QuantizedPasses"/>.
/// </summary>
internal interface IMomentView
{
    /// <summary>Element <paramref name="index"/>'s value.</summary>
    float Load(long index);

    /// <summary>True for float32 values, which a kernel updates in place with <see cref="Store"/>; false for codes.</summary>
    bool InPlace { get; }

    /// <summary>Writes element <paramref name="index"/> (float32 only).</summary>
    void Store(long index, float value);
}

/// <summary>A float32 moment.</summary>
internal readonly struct Float32Moment(ArrayView<float> values) : IMomentView
{
    public readonly ArrayView<float> Values = values;

    public float Load(long index) => Values[index];

    public bool InPlace => true;

    public void Store(long index, float value) => Values[index] = value;
}

/// <summary>
/// An 8-bit moment (<see cref="Blockwise8Bit"/>): one byte of code an element and a float32 absmax per block of 256,
/// blocks restarting every <see cref="RowLength"/> elements (the last dimension for a factored pass's momentum, the
/// length for a flat one). The codes are the bytes of a float32 view, four to a word, as the CPU engine stores them.
/// </summary>
internal readonly struct CodedMoment : IMomentView
{
    public CodedMoment(ArrayView<byte> codes, ArrayView<float> absmax, int rowLength, bool signed, uint key)
    {
        Codes = codes;
        Absmax = absmax;
        RowLength = rowLength;
        BlocksPerRow = (rowLength + Blockwise8Bit.BlockSize - 1) / Blockwise8Bit.BlockSize;
        Signed = signed ? 1 : 0;
        Key = key;
    }

    public readonly ArrayView<byte> Codes;
    public readonly ArrayView<float> Absmax;
    public readonly int RowLength;
    public readonly int BlocksPerRow;

    /// <summary>1 for the signed code (momenta, rounded to nearest), 0 for the unsigned one (second moments, rounded stochastically).</summary>
    public readonly int Signed;

    /// <summary>The stochastic rounding's key (<see cref="Moment{TTensor}.RoundingKey"/>).</summary>
    public readonly uint Key;

    /// <summary>The blocks of the tensor.</summary>
    public long Blocks => Absmax.Length;

    /// <summary>The tensor's index of element <paramref name="e"/> of block <paramref name="block"/>, or −1 past the end of its row.</summary>
    public long IndexOf(long block, int e)
    {
        long row = block / BlocksPerRow;
        int column = (int)(block - row * BlocksPerRow) * Blockwise8Bit.BlockSize + e;
        return column < RowLength ? row * RowLength + column : -1;
    }

    /// <summary>The block of element <paramref name="index"/>.</summary>
    public long BlockOf(long index)
    {
        long row = index / RowLength;
        return row * BlocksPerRow + (index - row * RowLength) / Blockwise8Bit.BlockSize;
    }

    public float Load(long index) => GpuBlockwise8Bit.Decode(Codes[index], GpuBlockwise8Bit.Scale(Absmax[BlockOf(index)]), Signed);

    public bool InPlace => false;

    public void Store(long index, float value)
    {
        // Codes are written a block at a time (QuantizedPasses), once the block's absmax is known.
    }

    /// <summary>Element <paramref name="index"/>'s code of <paramref name="value"/> under a block's inverse scale: nearest for the signed code, dithered for the unsigned.</summary>
    public void Encode(long index, float value, float inverseScale) =>
        Codes[index] = GpuBlockwise8Bit.Encode(value, inverseScale, Signed,
            Signed != 0 ? Blockwise8Bit.Nearest : CounterHash.Bits(Key, index) & 0xFFFFFu);
}

/// <summary>
/// <see cref="Blockwise8Bit"/>'s code in kernel arithmetic (ILGPU's bit casts, no exceptions): the definition's operations
/// one for one, so the bytes and values are the CPU engine's; the tests hold them to the definition.
/// </summary>
internal static class GpuBlockwise8Bit
{
    /// <summary><see cref="Blockwise8Bit.Scale"/>.</summary>
    public static float Scale(float absmax) => MathF.Min(absmax / Blockwise8Bit.Top, float.MaxValue);

    /// <summary><see cref="Blockwise8Bit.InverseScale"/>.</summary>
    public static float InverseScale(float absmax)
    {
        float inverse = Blockwise8Bit.Top / absmax;
        return GroupReduce.IsFinite(inverse) ? inverse : 0f;
    }

    /// <summary><see cref="Blockwise8Bit.Decode"/>.</summary>
    public static float Decode(byte code, float scale, int signed)
    {
        int magnitude = signed != 0 ? code & 127 : code;
        float value = magnitude < 8
            ? magnitude * (signed != 0 ? 1f / (1 << 18) : 1f / (1L << 34))
            : Interop.IntAsFloat((uint)((magnitude << 20) + ((signed != 0 ? 111 : 95) << 23)));
        if (signed != 0 && code >= 128) value = -value;
        return value * scale;
    }

    /// <summary><see cref="Blockwise8Bit.Encode(float, float, bool, uint)"/>, for a rounding offset in [0, 2^20).</summary>
    public static byte Encode(float x, float inverseScale, int signed, uint rounding)
    {
        float q = MathF.Abs(x) * inverseScale, minNormal = signed != 0 ? Blockwise8Bit.SignedMinNormal : Blockwise8Bit.UnsignedMinNormal;
        bool linear = q < minNormal;
        float placed = linear ? q + minNormal : q;
        int magnitude = (((int)Interop.FloatAsInt(placed) + (int)rounding - ((signed != 0 ? 111 : 95) << 23)) >> 20) - (linear ? 8 : 0);
        magnitude = Math.Min(magnitude, signed != 0 ? 127 : 255);
        return signed != 0 ? (byte)(magnitude | (int)(Interop.FloatAsInt(x) >> 31 << 7)) : (byte)magnitude;
    }
}
