namespace CameSharp.Kernels;

/// <summary>Splits a flat tensor of <see cref="Length"/> elements into fixed chunks.</summary>
internal readonly struct FlatLayout
{
    /// <summary>
    /// Elements per chunk: large enough that handing out a chunk costs little against its work, small enough
    /// that two threads balance on a tensor of a few hundred thousand elements.
    /// </summary>
    public const int ChunkElements = 1 << 15;

    public FlatLayout(int length)
    {
        Length = length;
        ChunkCount = (length + ChunkElements - 1) / ChunkElements;
    }

    public int Length { get; }
    public int ChunkCount { get; }

    public (int Start, int Count) Range(int chunk)
    {
        int start = chunk * ChunkElements;
        return (start, Math.Min(ChunkElements, Length - start));
    }
}
