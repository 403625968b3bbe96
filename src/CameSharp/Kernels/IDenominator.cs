using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>How a pass reads the factor that divides by √v̂: stored as is, or formed from a full second moment.</summary>
internal interface IDenominator
{
    static abstract Vector<float> Load<TLanes>(ReadOnlySpan<float> source, int index) where TLanes : struct, ILanes;
}

/// <summary>The factors themselves (a factored statistic's column factors).</summary>
internal readonly struct Factors : IDenominator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load<TLanes>(ReadOnlySpan<float> source, int index) where TLanes : struct, ILanes =>
        TLanes.Load(source, index);
}

/// <summary>rsqrt(v) of a full second moment, formed where it is used rather than stored between passes.</summary>
internal readonly struct RsqrtOf : IDenominator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load<TLanes>(ReadOnlySpan<float> source, int index) where TLanes : struct, ILanes =>
        Vector<float>.One / Vector.SquareRoot(TLanes.Load(source, index));
}
