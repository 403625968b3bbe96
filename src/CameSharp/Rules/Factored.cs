namespace CameSharp;

/// <summary>
/// A non-negative statistic X of an [..., R, C] tensor kept factored, as Adafactor keeps its second moment and CAME
/// also its instability: the EMA of X's row means (<see cref="Row"/>, shape [..., R]) and of its column means
/// (<see cref="Col"/>, [..., C]), whose rank-1 product X̂_ij = row_i · col_j / mean(row) estimates X. The factor
/// vectors are scratch: a pass leaves this step's means in them, and the commit turns them into the factors of
/// X̂^(-1/2): rsqrt(row_i / mean(row)) and rsqrt(col_j).
/// </summary>
/// <param name="Shape">The shape of the factored tensor.</param>
/// <param name="Row">EMA of the row means (the reference's <c>exp_avg_sq_row</c>, <c>exp_avg_res_row</c>).</param>
/// <param name="Col">EMA of the column means (<c>exp_avg_sq_col</c>, <c>exp_avg_res_col</c>).</param>
/// <param name="RowFactor">This step's row means, then rsqrt(row_i / mean(row)).</param>
/// <param name="ColFactor">This step's column means, then rsqrt(col_j).</param>
public readonly record struct Factored<TTensor>(int[] Shape, TTensor Row, TTensor Col, TTensor RowFactor, TTensor ColFactor)
{
    internal const string RowFactorSuffix = "_row_factor";
    internal const string ColFactorSuffix = "_col_factor";
}

/// <summary>
/// A full-size state tensor (a moment with one element per parameter element) as a pass reads and writes it: float32
/// values in <see cref="Data"/>, or, in <see cref="StateFormat.Blockwise8Bit"/>, one byte of code per element in
/// <see cref="Data"/> and one absolute maximum per block in <see cref="Absmax"/>. A pass decodes a block, updates it as
/// float32, and encodes it back, inside its one sweep over memory.
/// </summary>
/// <param name="Data">
/// The values, or the codes: packed four to a float32 word on the CPU (whose tensors are float32 memory), a uint8
/// tensor of the parameter's shape in torch ops.
/// </param>
/// <param name="Absmax">The blocks' absolute maxima; unused for float32.</param>
/// <param name="Encoding">Which of the two.</param>
/// <param name="RoundingKey">
/// For <see cref="StateEncoding.UnsignedCodes"/>, the key of this step's stochastic rounding: element i's dither is
/// <see cref="Blockwise8Bit.Dither"/>(key, i). Unused otherwise.
/// </param>
public readonly record struct Moment<TTensor>(TTensor Data, TTensor Absmax, StateEncoding Encoding, uint RoundingKey = 0)
{
    /// <summary>True when the tensor is stored as 8-bit codes.</summary>
    public bool IsQuantized => Encoding != StateEncoding.Float32;

    /// <summary>A float32 moment.</summary>
    public static Moment<TTensor> Float32(TTensor data) => new(data, default!, StateEncoding.Float32);
}
