namespace CameSharp;

/// <summary>
/// The 8-bit blockwise state format (after Dettmers et al., 2022, "8-bit Optimizers via Block-wise Quantization"): a
/// state tensor is cut into blocks of <see cref="BlockSize"/> elements, each block keeps its absolute maximum a as a
/// float32, and each element keeps one byte, the nearest value of a dynamic (floating-point-like) code to x / a.
/// </summary>
/// <remarks>
/// <para>
/// The code is a tiny float, so that encoding is integer arithmetic on the float's bits, with no table search, and runs
/// as SIMD on the CPU and branch-free on a GPU. An element x of a block with absolute maximum a is normalised to
/// q = |x| · (<see cref="Top"/> / a), in [0, 15/16], whose largest value 15/16 is exactly representable: the block's
/// largest element decodes to a (within one rounding of the scale), not to a value a step below it.
/// </para>
/// <para>
/// Signed code (momenta, m): bit 7 the sign, 4 exponent bits e and 3 fraction bits f. The magnitude is
/// 2^(e − 16)·(1 + f/8) for e ≥ 1 (relative spacing 1/8 to 1/16 across 15 octaves down to 2^−15 of the top), and
/// f · 2^−18 for e = 0 (linear below). Unsigned code (second moments, v ≥ 0): 5 exponent bits and 3 fraction bits,
/// 2^(e − 32)·(1 + f/8) for e ≥ 1 and f · 2^−34 for e = 0: 31 octaves, since v spans the square of the gradients'
/// range and a v decoded as 0 where it is small would turn m / (√v + ε) into m / ε.
/// </para>
/// <para>
/// Momenta are rounded to nearest, ties away from zero (below the smallest normal magnitude, to nearest after q is added
/// to it in float32, which keeps q to 2^−23 of that magnitude). bitsandbytes' dynamic code differs: it is denser near the
/// top (64 levels in [0.1, 1]) and coarser below; this one is uniform in relative terms (at most 6.25% of the value,
/// half a spacing), which keeps the small elements of a block as well as the large ones.
/// </para>
/// <para>
/// Second moments are rounded stochastically: up with probability equal to the distance from the code below, in units
/// of the code's step, so that the stored value is the exact one in expectation. An EMA rounded to nearest does not move
/// when its step is under half a code's spacing; AdamW's v (β2 = 0.999) moves 0.1% of (g² − v) a step, so rounded to
/// nearest it sticks where it stands (an element's v stays at a past peak), and 8-bit AdamW trained measurably worse. The
/// random bits are <see cref="Dither"/>(<see cref="RoundingKey"/>(step, tensor), element): counter-based, so a run and
/// a resumed run reproduce bit for bit. Momenta keep round to nearest: m (β1 = 0.9) moves 10% a step and tracks, and
/// dithering it added noise that cost more than it saved (both measured; the README has the figures).
/// </para>
/// <para>
/// Blocks run over the flattened tensor. For a statistic that a factored pass updates row by row (CAME's momentum,
/// Adafactor's momentum on a tensor of two or more dimensions) blocks restart at each row of its last dimension, so
/// that a row is one unit of work: when the row length is a multiple of 256, as in GPT-2's shapes, the two are the same.
/// </para>
/// </remarks>
public static class Blockwise8Bit
{
    /// <summary>Elements a block: 256, as bitsandbytes.</summary>
    public const int BlockSize = 256;

    /// <summary>Tensors with fewer elements stay float32 (4096, as bitsandbytes): their absmax would cost more than it saves.</summary>
    public const int MinElements = 4096;

    /// <summary>The normalised value of a block's largest element: 15/16, the largest magnitude of both codes.</summary>
    public const float Top = 0.9375f;

    /// <summary>Below this normalised magnitude, 2^−15, the signed code is linear (its exponent field is 0).</summary>
    public const float SignedMinNormal = 1f / (1 << 15);

    /// <summary>Below this normalised magnitude, 2^−31, the unsigned code is linear.</summary>
    public const float UnsignedMinNormal = 1f / (1L << 31);

    /// <summary>The factor that normalises a block with absolute maximum <paramref name="absmax"/>: Top / absmax, or 0 when that is not finite (an all-zero block, or one so small that it flushes to zero).</summary>
    public static float InverseScale(float absmax)
    {
        float inverse = Top / absmax;
        return float.IsFinite(inverse) ? inverse : 0f;
    }

    /// <summary>
    /// The factor that restores a block's values from the code: absmax / Top (0 for a block encoded as zeros), saturated
    /// at <see cref="float.MaxValue"/> for an absmax above 15/16 of it, so that a code 0 still decodes to 0, not 0 · ∞.
    /// </summary>
    public static float Scale(float absmax) => MathF.Min(absmax / Top, float.MaxValue);

    /// <summary>
    /// The rounding offset of round to nearest: half of a code's step, in the 20 bits of a float's fraction that the
    /// code drops. A uniform offset in [0, 2^20) rounds stochastically instead.
    /// </summary>
    public const uint Nearest = 1u << 19;

    /// <summary>Encodes <paramref name="x"/> with a block's <see cref="InverseScale"/>, rounded to nearest: one byte of the signed or the unsigned code.</summary>
    public static byte Encode(float x, float inverseScale, bool signed) => Encode(x, inverseScale, signed, Nearest);

    /// <summary>
    /// Encodes <paramref name="x"/> with a block's <see cref="InverseScale"/>, with <paramref name="rounding"/> (in
    /// [0, 2^20)) added below the code's last bit: <see cref="Nearest"/> rounds to nearest, ties away from zero; a
    /// <see cref="Dither"/> rounds up with probability equal to the distance from the code below, in units of its step.
    /// </summary>
    public static byte Encode(float x, float inverseScale, bool signed, uint rounding)
    {
        if (rounding >= 1u << 20) throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "the rounding offset must be in [0, 2^20).");
        float q = MathF.Abs(x) * inverseScale, minNormal = signed ? SignedMinNormal : UnsignedMinNormal;
        // A float's bits are monotone in its value, and within an octave linear in it: adding half of the code's step
        // to the bits and dropping the 20 bits the code does not keep rounds to nearest, ties away from zero (a uniform
        // offset rounds up with the probability of the dropped fraction). Below the
        // smallest normal magnitude, q is first added to it (a float32 add, exact but for q's bits below 2^−23 of it),
        // which lands it in the lowest octave, whose steps are the linear range's: the same rounding, one code lower.
        bool linear = q < minNormal;
        float placed = linear ? q + minNormal : q;
        int magnitude = ((BitConverter.SingleToInt32Bits(placed) + (int)rounding - ((signed ? 111 : 95) << 23)) >> 20) - (linear ? 8 : 0);
        magnitude = Math.Min(magnitude, signed ? 127 : 255);
        return signed ? (byte)(magnitude | (BitConverter.SingleToInt32Bits(x) >>> 31 << 7)) : (byte)magnitude;
    }

    /// <summary>
    /// The key of the stochastic rounding of a tensor's 8-bit second moment at one step: a hash of the step and the
    /// tensor's position in its optimizer, so that no two roundings share their random bits.
    /// </summary>
    /// <param name="step">The step being taken (1 for the first).</param>
    /// <param name="tensor">The parameter's position in its optimizer.</param>
    public static uint RoundingKey(long step, int tensor) => CounterHash.Key(StateSeed, step, tensor);

    /// <summary>The rounding offset of element <paramref name="index"/> under <paramref name="key"/>: 20 random bits, uniform in [0, 2^20).</summary>
    public static uint Dither(uint key, long index) => CounterHash.Bits(key, index) & 0xFFFFFu;

    /// <summary>Sets the state's random bits apart from the bfloat16 parameters' (whose keys hash the run's seed).</summary>
    private const ulong StateSeed = 0x8B17_5EED_0000_0001;

    /// <summary>Decodes one byte with a block's <see cref="Scale"/>.</summary>
    public static float Decode(byte code, float scale, bool signed)
    {
        int magnitude = signed ? code & 127 : code;
        float value = magnitude < 8
            ? magnitude * (signed ? 1f / (1 << 18) : 1f / (1L << 34))
            : BitConverter.Int32BitsToSingle((magnitude << 20) + ((signed ? 111 : 95) << 23));
        if (signed && code >= 128) value = -value;
        return value * scale;
    }

    /// <summary>
    /// The blocks of a tensor of <paramref name="length"/> elements whose blocks restart every <paramref name="rowLength"/>
    /// elements (the tensor's length for flat blocks).
    /// </summary>
    public static int BlockCount(long length, int rowLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        if (length % rowLength != 0) throw new ArgumentException($"rowLength {rowLength} does not divide the length {length}.", nameof(rowLength));
        return checked((int)(length / rowLength * ((rowLength + BlockSize - 1) / BlockSize)));
    }
}
