namespace CameSharp;

/// <summary>
/// One tensor an update rule keeps for a parameter: its name (the official PyTorch implementation's, such as
/// <c>exp_avg</c> or <c>exp_avg_sq_row</c>), its shape, and whether it carries state from step to step (and so is
/// saved in checkpoints) or is scratch that a step fills before it reads it.
/// </summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Saved">True for state, false for per-step scratch.</param>
public sealed record StateTensorSpec(string Name, int[] Shape, bool Saved = true)
{
    /// <summary>Its number of elements.</summary>
    public int Length => Shape.Aggregate(1, (a, b) => checked(a * b));

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
