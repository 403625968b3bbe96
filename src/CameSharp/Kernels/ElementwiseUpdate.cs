using System.Numerics;

namespace CameSharp.Kernels;

/// <summary>Inner loops that factored and unfactored passes share.</summary>
internal static class ElementwiseUpdate
{
    /// <summary>
    /// u_j = g_j · scale · denominator_j (denominator: column factors, or rsqrt(v) for an unfactored tensor);
    /// with momentum m ← β1·m + (1 − β1)·u and u = m; then p ← p + decay·p − u.
    /// </summary>
    public static void Adafactor(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> factor, float scale,
        Span<float> m, bool useMomentum, double beta1, float decay)
    {
        var sv = new Vector<float>(scale);
        float b1 = (float)beta1, rest = (float)(1 - beta1);
        var b1v = new Vector<float>(b1);
        var restv = new Vector<float>(rest);
        var decayv = new Vector<float>(decay);
        int j = 0;
        for (; j <= p.Length - Simd.Width; j += Simd.Width)
        {
            var u = sv * Simd.Load(factor, j) * Simd.Load(g, j);
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
            float u = scale * factor[j] * g[j];
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
    public static void CameUnfactored(Span<float> p, ReadOnlySpan<float> g, ReadOnlySpan<float> rsqrtV, float clip,
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
            var u = Simd.Load(rsqrtV, j) * Simd.Load(g, j) * clipv;
            var mv = Simd.Load(m, j) * b1v + restv * u;
            Simd.Store(mv, m, j);
            if (!moveParameters) continue;
            var pv = Simd.Load(p, j);
            pv += decayv * pv;
            Simd.Store(pv - mv * lrv, p, j);
        }
        for (; j < p.Length; j++)
        {
            float u = rsqrtV[j] * g[j] * clip;
            float mj = m[j] * b1 + rest * u;
            m[j] = mj;
            if (!moveParameters) continue;
            float pj = p[j] + decay * p[j];
            p[j] = pj - mj * lr;
        }
    }
}
