using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// The 8-bit full-size moments (m, and v when there is one) of a flat pass's chunk, a block at a time:
/// <see cref="Decode(int, Span{float})"/> fills stack buffers with the values of the block at an offset of the chunk,
/// <see cref="Encode(int, ReadOnlySpan{float})"/> stores updated values back. A flat chunk starts at a multiple of the
/// block size, so its blocks are the tensor's.
/// </summary>
internal readonly ref struct FlatBlocks
{
    private readonly Span<byte> mCodes, vCodes;
    private readonly Span<float> mAbsmax, vAbsmax;
    private readonly int firstBlock, start;
    private readonly uint vKey;

    public FlatBlocks(FlatChunk chunk, Moment<Memory<float>> m, Moment<Memory<float>> v = default)
    {
        mCodes = MemoryMarshal.AsBytes(m.Data.Span).Slice(chunk.Start, chunk.Count);
        mAbsmax = m.Absmax.Span;
        if (v.IsQuantized)
        {
            vCodes = MemoryMarshal.AsBytes(v.Data.Span).Slice(chunk.Start, chunk.Count);
            vAbsmax = v.Absmax.Span;
            vKey = v.RoundingKey;
        }
        start = chunk.Start;
        firstBlock = chunk.Start / Blockwise8Bit.BlockSize;
        Count = chunk.Count;
    }

    /// <summary>The chunk's elements.</summary>
    public int Count { get; }

    /// <summary>The elements of the block at <paramref name="offset"/> (a multiple of the block size): a whole block but for the chunk's last.</summary>
    public int Length(int offset) => Math.Min(Blockwise8Bit.BlockSize, Count - offset);

    /// <summary>m's values of the block at <paramref name="offset"/>, into <paramref name="m"/> (of the block's length).</summary>
    public void Decode(int offset, Span<float> m) =>
        BlockCodec.Decode<SignedCode>(mCodes.Slice(offset, m.Length), mAbsmax[firstBlock + offset / Blockwise8Bit.BlockSize], m);

    /// <summary>m's and v's values of the block at <paramref name="offset"/>.</summary>
    public void Decode(int offset, Span<float> m, Span<float> v)
    {
        Decode(offset, m);
        BlockCodec.Decode<UnsignedCode>(vCodes.Slice(offset, v.Length), vAbsmax[firstBlock + offset / Blockwise8Bit.BlockSize], v);
    }

    /// <summary>Stores m's updated values of the block at <paramref name="offset"/>.</summary>
    public void Encode(int offset, ReadOnlySpan<float> m) =>
        mAbsmax[firstBlock + offset / Blockwise8Bit.BlockSize] = BlockCodec.Encode<SignedCode>(m, mCodes.Slice(offset, m.Length));

    /// <summary>Stores m's and v's updated values of the block at <paramref name="offset"/>.</summary>
    public void Encode(int offset, ReadOnlySpan<float> m, ReadOnlySpan<float> v)
    {
        Encode(offset, m);
        vAbsmax[firstBlock + offset / Blockwise8Bit.BlockSize] = BlockCodec.Encode<UnsignedCode>(v, vCodes.Slice(offset, v.Length), vKey, start + offset);
    }
}
