namespace CameSharp.Kernels;

/// <summary>Chunk <see cref="Index"/> of a flat pass: the elements [<see cref="Start"/>, <see cref="Start"/> + <see cref="Count"/>).</summary>
internal readonly record struct FlatChunk(int Index, int Start, int Count)
{
    /// <summary>The chunk's elements of <paramref name="tensor"/>.</summary>
    public Span<float> Of(Memory<float> tensor) => tensor.Span.Slice(Start, Count);
}
