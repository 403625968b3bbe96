using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>Unchecked vector loads and stores for loops whose bounds are checked once, up front.</summary>
internal static class Simd
{
    public static int Width => Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ReadOnlySpan<float> span, int index) =>
        Vector.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, Span<float> span, int index) =>
        value.StoreUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    /// <summary>Sums the lanes in a fixed order, so a row's sum never depends on anything but its values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector<float> v) => Vector.Sum(v);
}
