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
