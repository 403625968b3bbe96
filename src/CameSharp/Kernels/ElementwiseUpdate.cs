using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>Inner loops that factored and unfactored passes share.</summary>
internal static class ElementwiseUpdate
{
    /// <summary>
    /// u_j = g_j · scale · d_j, d being <typeparamref name="TDenominator"/> over <paramref name="denominator"/> (column
    /// factors, or rsqrt of a full second moment); with momentum m ← β1·m + (1 − β1)·u and u = m; then p ← p + decay·p − u.
    /// </summary>
    public static void Adafactor<TDenominator>(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> denominator, float scale,
        Span<float> m, bool useMomentum, double beta1, float decay) where TDenominator : struct, IDenominator
    {
        var sv = new Vector<float>(scale);
        float b1 = (float)beta1, rest = (float)(1 - beta1);
        var b1v = new Vector<float>(b1);
        var restv = new Vector<float>(rest);
        var decayv = new Vector<float>(decay);
        int j = 0;
        for (; j <= p.Length - Simd.Width; j += Simd.Width)
        {
            var u = sv * TDenominator.Load(denominator, j) * Simd.Load(g, j);
            if (useMomentum)
            {
                u = Simd.Load(m, j) * b1v + restv * u;
                Simd.Store(u, m, j);
            }
            var pv = Simd.Load(p, j);
            pv += decayv * pv;
            Simd.Store(pv - u, p, j);
        }
        for (; j < p.Length; j++)
        {
            float u = scale * TDenominator.At(denominator, j) * g[j];
            if (useMomentum)
            {
                u = m[j] * b1 + rest * u;
                m[j] = u;
            }
            float pj = p[j] + decay * p[j];
            p[j] = pj - u;
        }
    }

    /// <summary>
    /// CAME on an unfactored tensor, where the official code skips the confidence step:
    /// u = clip · g · rsqrt(v), m ← β1·m + (1 − β1)·u, p ← p + decay·p − η·m; p is left unwritten without <paramref name="moveParameters"/>.
    /// </summary>
    public static void CameUnfactored(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> v, float clip,
        Span<float> m, double beta1, float lr, float decay, bool moveParameters)
    {
        float b1 = (float)beta1, rest = (float)(1 - beta1);
        var clipv = new Vector<float>(clip);
        var b1v = new Vector<float>(b1);
        var restv = new Vector<float>(rest);
        var lrv = new Vector<float>(lr);
        var decayv = new Vector<float>(decay);
        int j = 0;
        for (; j <= p.Length - Simd.Width; j += Simd.Width)
        {
            var u = RsqrtOf.Load(v, j) * Simd.Load(g, j) * clipv;
            var mv = Simd.Load(m, j) * b1v + restv * u;
            Simd.Store(mv, m, j);
            if (!moveParameters) continue;
            var pv = Simd.Load(p, j);
            pv += decayv * pv;
            Simd.Store(pv - mv * lrv, p, j);
        }
        for (; j < p.Length; j++)
        {
            float u = RsqrtOf.At(v, j) * g[j] * clip;
            float mj = m[j] * b1 + rest * u;
            m[j] = mj;
            if (!moveParameters) continue;
            float pj = p[j] + decay * p[j];
            p[j] = pj - mj * lr;
        }
    }
}

/// <summary>How a pass reads the factor that divides by √v̂: stored as is, or formed from a full second moment.</summary>
internal interface IDenominator
{
    static abstract Vector<float> Load(ReadOnlySpan<float> source, int index);

    static abstract float At(ReadOnlySpan<float> source, int index);
}

/// <summary>The factors themselves (a factored statistic's column factors).</summary>
internal readonly struct Factors : IDenominator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ReadOnlySpan<float> source, int index) => Simd.Load(source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float At(ReadOnlySpan<float> source, int index) => source[index];
}

/// <summary>rsqrt(v) of a full second moment, formed where it is used rather than stored between passes.</summary>
internal readonly struct RsqrtOf : IDenominator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ReadOnlySpan<float> source, int index) => Vector<float>.One / Vector.SquareRoot(Simd.Load(source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float At(ReadOnlySpan<float> source, int index) => 1f / MathF.Sqrt(source[index]);
}
