namespace CameSharp;

/// <summary>
/// One tensor an update rule keeps for a parameter: its name (the official PyTorch implementation's, such as
/// <c>exp_avg</c> or <c>exp_avg_sq_row</c>), its shape, and whether it carries state from step to step (and so is
/// saved in checkpoints) or is scratch that a step fills before it reads it.
/// </summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Saved">True for state, false for per-step scratch.</param>
/// <param name="Encoding">How its elements are stored: float32, or one byte of a <see cref="Blockwise8Bit"/> code each.</param>
public sealed record StateTensorSpec(string Name, int[] Shape, bool Saved = true, StateEncoding Encoding = StateEncoding.Float32)
{
    /// <summary>Its number of elements.</summary>
    public int Length => Shape.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>
    /// The float32 words that hold it: <see cref="Length"/>, or for codes a quarter of it rounded up, four codes to a
    /// word, so that every backend keeps state in its float32 tensors.
    /// </summary>
    public int StorageLength => Encoding == StateEncoding.Float32 ? Length : (int)(((long)Length + 3) / 4);

    /// <summary>Suffix of the codes of an 8-bit full-size state tensor (uint8, the state's shape).</summary>
    public const string CodesSuffix = "_codes";

    /// <summary>Suffix of the per-block absolute maxima of an 8-bit full-size state tensor (float32, one per block).</summary>
    public const string AbsmaxSuffix = "_absmax";

    /// <summary>
    /// The tensors of a full-size state (a moment with one element per parameter element) under <paramref name="format"/>:
    /// <paramref name="name"/> itself in float32; or, in <see cref="StateFormat.Blockwise8Bit"/> when the tensor has at
    /// least <see cref="Blockwise8Bit.MinElements"/> elements and blocks of 4 elements or more on average,
    /// <c>{name}_codes</c> and <c>{name}_absmax</c>.
    /// </summary>
    /// <param name="name">The reference's name (<c>exp_avg</c>, <c>exp_avg_sq</c>).</param>
    /// <param name="shape">The parameter's shape.</param>
    /// <param name="format">The optimizer's state format.</param>
    /// <param name="signed">True for a momentum, false for a non-negative second moment.</param>
    /// <param name="rowLength">Where blocks restart: the last dimension for a statistic a factored pass updates row by row, else the length.</param>
    public static IEnumerable<StateTensorSpec> FullSize(string name, ReadOnlySpan<int> shape, StateFormat format, bool signed, int rowLength)
    {
        var spec = new StateTensorSpec(name, shape.ToArray());
        if (format == StateFormat.Float32 || spec.Length < Blockwise8Bit.MinElements) return [spec];
        // Rows so short that their blocks' absmax would cost more than a byte an element stay float32 ([8192, 1] would
        // take 5 bytes an element in 8 bits).
        int blocks = Blockwise8Bit.BlockCount(spec.Length, rowLength);
        if (4L * blocks > spec.Length) return [spec];
        return
        [
            new(name + CodesSuffix, spec.Shape, Encoding: signed ? StateEncoding.SignedCodes : StateEncoding.UnsignedCodes),
            new(name + AbsmaxSuffix, [blocks]),
        ];
    }

    /// <summary>
    /// The tensors of a statistic factored over the last two dimensions of <paramref name="shape"/> (see
    /// <see cref="Factored{TTensor}"/>): its row and column EMAs (saved) and their factor vectors (scratch).
    /// </summary>
    public static IEnumerable<StateTensorSpec> FactoredStatistic(string name, ReadOnlySpan<int> shape)
    {
        int[] row = shape[..^1].ToArray(), col = [.. shape[..^2], shape[^1]];
        return
        [
            new(name + "_row", row), new(name + "_col", col),
            new(name + Factored<int>.RowFactorSuffix, row, Saved: false), new(name + Factored<int>.ColFactorSuffix, col, Saved: false),
        ];
    }
}

/// <summary>How a state tensor's elements are stored.</summary>
public enum StateEncoding
{
    /// <summary>float32.</summary>
    Float32,

    /// <summary>One byte of <see cref="Blockwise8Bit"/>'s signed code (a momentum).</summary>
    SignedCodes,

    /// <summary>One byte of <see cref="Blockwise8Bit"/>'s unsigned code (a second moment).</summary>
    UnsignedCodes,
}
