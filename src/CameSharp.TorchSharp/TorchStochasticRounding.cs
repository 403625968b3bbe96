using CameSharp.Gpu;
using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>
/// <see cref="StochasticRounding"/> in torch ops, for bfloat16 parameters on the torch-op path: the same dither (the hash
/// in 64-bit integer ops, every product kept below 2⁴⁸ so nothing overflows) and the same rounding, so an element gets
/// the same bfloat16 value from the same float32 result on either path. TorchSharp cannot reinterpret a float's bits,
/// so the 16 bits that bfloat16 drops are found arithmetically: the distance to the value truncated to bfloat16, in
/// units of bfloat16's step there, times 2¹⁶; every operation on the way is exact in float32. A NaN stays NaN, with the
/// bits torch's conversion gives it (the kernels write 0x7FC0; torch on CUDA is reported to write 0x7FFF). Tested against
/// the kernels' definition on the CPU; on CUDA, torch's <c>ldexp</c> of subnormal steps is untested.
/// </summary>
internal static class TorchStochasticRounding
{
    private const long Low32 = 0xFFFFFFFFL;

    /// <summary>Elements rounded at a time: the rounding's integer and float temporaries take about 300 bytes an element.</summary>
    private const long Chunk = 1 << 18;

    /// <summary>Writes <paramref name="value"/> (float32) into the bfloat16 <paramref name="target"/>, rounded stochastically under <paramref name="key"/>.</summary>
    public static void Round(Tensor target, Tensor value, uint key)
    {
        using var scope = torch.NewDisposeScope();
        var x = value.reshape(-1);
        long n = x.NumberOfElements;
        if (!target.is_contiguous())
        {
            target.copy_(Rounded(x, key, 0).reshape(target.shape));
            return;
        }
        // A contiguous target is written a chunk at a time through a flat view, so the temporaries stay small.
        var flat = target.view(-1);
        for (long start = 0; start < n; start += Chunk)
        {
            using var chunkScope = torch.NewDisposeScope();
            long length = Math.Min(Chunk, n - start);
            flat.narrow(0, start, length).copy_(Rounded(x.narrow(0, start, length), key, start));
        }
    }

    /// <summary>The elements of <paramref name="x"/> (elements <paramref name="first"/> onward of the tensor) rounded, as float32 values that bfloat16 holds.</summary>
    private static Tensor Rounded(Tensor x, uint key, long first)
    {
        var dither = Dither(first, x.NumberOfElements, key, x.device).to(ScalarType.Float32);
        var magnitude = x.abs();
        // bfloat16's step at |x|: 2^(e - 8) for |x| = m·2^e with m in [0.5, 1), and 2⁻¹³³ below the normal range.
        var (_, exponent) = magnitude.frexp();
        var step = torch.ones_like(magnitude).ldexp(torch.clamp_min(exponent - 8, -133));
        var units = (magnitude / step).floor();
        var dropped = (magnitude / step - units) * 65536f;
        var up = (dropped + dither >= 65536f).to(ScalarType.Float32);
        var rounded = (units + up) * step;
        // A finite value never becomes ∞ (as in the kernels): past bfloat16's largest it stays there.
        rounded = torch.where(rounded.isinf() & magnitude.isfinite(), torch.full_like(rounded, BFloat16Max), rounded);
        var result = torch.where(x.isfinite(), rounded * x.sign(), x);
        // A zero keeps its sign (sign() of ±0 is 0); the value is now a bfloat16 value, so the conversion is exact.
        return torch.where(x == 0, x, result);
    }

    /// <summary>bfloat16's largest finite value, (2 − 2⁻⁷)·2¹²⁷.</summary>
    private const float BFloat16Max = 3.3895314e38f;

    /// <summary>
    /// <see cref="StochasticRounding.Dither"/> for elements <paramref name="first"/> .. first + n − 1, as int64 values in
    /// [0, 2¹⁶); with <paramref name="bits"/> 20, <see cref="Engine.Blockwise8Bit.Dither"/>'s values in [0, 2²⁰).
    /// </summary>
    internal static Tensor Dither(long first, long n, uint key, Device device, int bits = 16)
    {
        var index = torch.arange(first, first + n, ScalarType.Int64, device);
        // (uint)index · 0x9E3779B9 mod 2³²: the index below 2³¹ keeps the product below 2⁶³.
        var h = (index.bitwise_and(Low32) * 0x9E3779B9L).bitwise_and(Low32).bitwise_xor(torch.tensor((long)key, device: device));
        h = XorShift(h, 16);
        h = MultiplyLow32(h, 0x85EBCA6Bu);
        h = XorShift(h, 13);
        h = MultiplyLow32(h, 0xC2B2AE35u);
        h = XorShift(h, 16);
        return h.bitwise_and((1L << bits) - 1);
    }

    private static Tensor XorShift(Tensor h, int bits) => h.bitwise_xor(h.bitwise_right_shift(torch.tensor((long)bits, device: h.device)));

    /// <summary>h · c mod 2³² for 0 ≤ h &lt; 2³², in two 16-bit halves of c so that no product reaches 2⁴⁸.</summary>
    private static Tensor MultiplyLow32(Tensor h, uint c)
    {
        var low = h * (long)(c & 0xFFFF);
        var high = (h * (long)(c >> 16)).bitwise_and(0xFFFFL).bitwise_left_shift(torch.tensor(16L, device: h.device));
        return (low + high).bitwise_and(Low32);
    }
}
