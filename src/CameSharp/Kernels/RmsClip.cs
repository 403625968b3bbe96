namespace CameSharp.Kernels;

/// <summary>The update clipping of Adafactor and CAME: u ← u / max(1, RMS(u) / d).</summary>
internal static class RmsClip
{
    /// <summary>The factor 1 / max(1, RMS(u) / d) that multiplies u, from Σ u² over <paramref name="count"/> elements.</summary>
    public static float Scale(double sumOfSquares, int count, double threshold) =>
        (float)(1.0 / Math.Max(1.0, Math.Sqrt(sumOfSquares / count) / threshold));
}
