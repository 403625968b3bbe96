namespace CameSharp;

/// <summary>
/// Where the engine puts a parameter's state. A step streams the parameter, its gradient and its state side by side,
/// element i of each at once. When those arrays start at the same address modulo the cache's way size, which is the
/// rule for large arrays (the GC gives each its own region; native allocators hand out whole pages), every element
/// i of every stream competes for the same cache sets, and steps ran up to 2.5x slower here (AdamW, 60M floats,
/// measured with the state allocated plainly and staggered). So a large state tensor is placed a fixed, distinct
/// distance past its parameter's address modulo 64 KiB: not a multiple of 4 KiB, and different for each tensor.
/// </summary>
internal static class StateMemory
{
    /// <summary>Below this many floats (4 MiB) a tensor is allocated plainly: the padding would cost more than it saves.</summary>
    internal const int MinStaggeredFloats = 1 << 20;

    /// <summary>The address window, in bytes, within which tensors are placed: a power of two well past the L1 and L2 way sizes.</summary>
    internal const int WindowBytes = 1 << 16;

    /// <summary>The distance, in bytes modulo <see cref="WindowBytes"/>, between successive tensors: 5 pages plus 1600 bytes.</summary>
    internal const int StrideBytes = 5 * 4096 + 1600;

    /// <summary>An allocator of zeroed state tensors for <paramref name="parameter"/>, staggered from its data.</summary>
    public static StateAllocator For(Parameter parameter)
    {
        long anchor = AddressOf(parameter.Data);
        int placed = 0;
        return (_, shape) =>
        {
            int length = shape.Aggregate(1, (a, b) => checked(a * b));
            if (length < MinStaggeredFloats || length > Array.MaxLength - WindowBytes / sizeof(float))
                return new float[length];
            placed++;
            // Pinned, so the address the offset was chosen for stays the array's address.
            var array = GC.AllocateArray<float>(length + WindowBytes / sizeof(float), pinned: true);
            long target = anchor + placed * (long)StrideBytes;
            int offset = (int)((target - AddressOf(array)) & (WindowBytes - 1)) / sizeof(float);
            return array.AsMemory(offset, length);
        };
    }

    /// <summary>The address of a memory's first element (0 for empty memory).</summary>
    internal static unsafe long AddressOf(Memory<float> memory)
    {
        using var handle = memory.Pin();
        return (long)handle.Pointer;
    }
}
