using System.Buffers;

namespace CameSharp;

/// <summary>
/// Exposes a block of native float memory (for example a tensor's own storage) as <see cref="Memory{T}"/>,
/// so that optimizers work on it in place without copying. The caller owns the memory and keeps it alive
/// for as long as the <see cref="Memory{T}"/> is used; this type never frees it.
/// </summary>
public sealed unsafe class UnmanagedFloatMemory : MemoryManager<float>
{
    private readonly float* pointer;
    private readonly int length;

    /// <summary>Wraps <paramref name="length"/> floats starting at <paramref name="pointer"/>.</summary>
    /// <exception cref="ArgumentNullException">The pointer is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative.</exception>
    public UnmanagedFloatMemory(nint pointer, int length)
    {
        if (pointer == 0) throw new ArgumentNullException(nameof(pointer), "pointer must not be null.");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.pointer = (float*)pointer;
        this.length = length;
    }

    /// <inheritdoc/>
    public override Span<float> GetSpan() => new(pointer, length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        return new MemoryHandle(pointer + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin() { }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) { }
}
