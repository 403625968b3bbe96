namespace CameSharp.Gpu;

/// <summary>
/// Stochastic rounding of float32 results to bfloat16 parameters. Round to nearest loses every update smaller than half
/// a bfloat16 step (2⁻⁹ of the weight), which late in training is most of them; rounding up with probability equal to
/// the dropped fraction keeps each update in expectation. The dither is a counter-based hash of (seed, step, tensor,
/// element), so a run reproduces exactly and no generator state is kept: element i of a tensor at a step always gets
/// the same 16 random bits, on every backend (the GPU kernels and the torch-op path compute the same hash).
/// </summary>
public static class StochasticRounding
{
    /// <summary>The key of one tensor's rounding at one step: every element's dither derives from it and the element's index.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="step">The step being taken (1 for the first).</param>
    /// <param name="tensor">The tensor's index in the optimizer (its order in the param groups).</param>
    public static uint Key(ulong seed, long step, int tensor) => CounterHash.Key(seed, step, tensor);

    /// <summary>The 16 random bits added below bfloat16's last bit for element <paramref name="index"/> under <paramref name="key"/>.</summary>
    public static uint Dither(uint key, long index) => CounterHash.Bits(key, index) & 0xFFFFu;

    /// <summary>
    /// <paramref name="value"/> as bfloat16 bits, rounded stochastically with <paramref name="dither"/>: the dither is added
    /// to the 16 bits that bfloat16 drops, and a carry rounds the magnitude up. A NaN becomes torch's canonical NaN;
    /// ±∞ stays; a finite value never becomes ∞ (past bfloat16's largest finite value it stays there).
    /// </summary>
    public static ushort ToBFloat16(float value, uint dither)
    {
        uint bits = ILGPU.Interop.FloatAsInt(value);
        uint magnitude = bits & 0x7FFFFFFFu;
        if (magnitude > 0x7F800000u) return 0x7FC0;
        // The sign bit is above the carry's reach (the magnitude is at most 0x7F800000 + 0xFFFF), so the sum rounds the
        // magnitude away from zero alike for both signs.
        uint rounded = (bits + dither) >> 16;
        if (magnitude < 0x7F800000u && (rounded & 0x7FFFu) == 0x7F80u) rounded--;
        return (ushort)rounded;
    }
}
