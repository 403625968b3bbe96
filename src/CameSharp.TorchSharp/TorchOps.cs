using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp;

/// <summary>The pieces of the torch-op path, named as the engine's kernels are.</summary>
internal static class TorchOps
{
    /// <summary>ema ← β·ema + (1 − β)·x, in place.</summary>
    public static void Ema(Tensor ema, Tensor x, double beta) => ema.mul_(beta).add_(x, alpha: 1 - beta);

    /// <summary>
    /// Updates the factored EMAs of statistic <paramref name="x"/> (its means over the last and second-to-last
    /// dimensions) and returns <paramref name="y"/> · rsqrt(row_i / mean(row) · col_j). The outer product is formed
    /// first and applied in one multiply: on libtorch's CPU kernels that is about 5x faster than broadcasting y by
    /// the row factors and then by the column factors (measured on a 768 x 3072 matrix).
    /// </summary>
    public static Tensor TimesFactoredRsqrt(Tensor y, Tensor x, Tensor row, Tensor col, double beta)
    {
        Ema(row, x.mean([-1L]), beta);
        Ema(col, x.mean([-2L]), beta);
        var r = (row / row.mean([-1L], keepdim: true)).rsqrt_().unsqueeze(-1);
        var c = col.unsqueeze(-2).rsqrt();
        return r.mul(c).mul_(y);
    }

    /// <summary>u ← u / max(1, RMS(u) / d), in place, without leaving the device.</summary>
    public static Tensor ClipByRms(Tensor u, double threshold) =>
        u.div_(u.norm().div_(Math.Sqrt(u.NumberOfElements) * threshold).clamp_min_(1.0));
}
