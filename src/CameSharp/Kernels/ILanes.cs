using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// Where a pass's element formula reads and writes its vectors: whole vectors in the body of a loop
/// (<see cref="FullLanes"/>), or the last few elements of a span, zero-padded (<see cref="TailLanes"/>). A pass writes its
/// formula once, generic over the lanes; the JIT compiles it once for each, so the body has no branch and the tail no
/// second copy of the formula.
/// </summary>
internal interface ILanes
{
    /// <summary>The vector at <paramref name="index"/> (padded with zeros past the span's end).</summary>
    static abstract Vector<float> Load(ReadOnlySpan<float> source, int index);

    /// <summary>Writes the lanes of <paramref name="value"/> that fall inside <paramref name="target"/>.</summary>
    static abstract void Store(Vector<float> value, Span<float> target, int index);

    /// <summary><paramref name="x"/> in its first <paramref name="valid"/> lanes and 0 in the rest, so padding adds nothing to a sum.</summary>
    static abstract Vector<float> Only(Vector<float> x, int valid);
}

/// <summary>Whole vectors, loaded and stored unchecked: the caller's loop keeps them inside the spans.</summary>
internal readonly struct FullLanes : ILanes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ReadOnlySpan<float> source, int index) => Simd.Load(source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, Span<float> target, int index) => Simd.Store(value, target, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Only(Vector<float> x, int valid) => x;
}

/// <summary>
/// The fewer than a vector's worth of elements left at the end of a span, copied lane by lane through a vector local.
/// Padded lanes compute on zeros (possibly to NaN, as in 0 · rsqrt(0)); they are never stored, and sums mask them.
/// </summary>
/// <remarks>
/// No stack buffer and no call: a call in the tail would make the JIT keep the body loop's vectors in memory across it,
/// since every vector register is caller-saved. Likewise a loop reduces its body's accumulator before its tail (rather
/// than adding the tail into it), or the JIT keeps the accumulator in memory inside the body loop.
/// </remarks>
internal readonly struct TailLanes : ILanes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ReadOnlySpan<float> source, int index)
    {
        Vector<float> lanes = default;
        ref float lane = ref Unsafe.As<Vector<float>, float>(ref lanes);
        int count = Math.Min(source.Length - index, Vector<float>.Count);
        for (int k = 0; k < count; k++) Unsafe.Add(ref lane, k) = source[index + k];
        return lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, Span<float> target, int index)
    {
        int count = Math.Min(target.Length - index, Vector<float>.Count);
        for (int k = 0; k < count; k++) target[index + k] = value[k];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Only(Vector<float> x, int valid) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector<int>.Indices, new Vector<int>(valid)), x, Vector<float>.Zero);
}
