using System.Globalization;

namespace CameSharp;

/// <summary>
/// The values a number hyperparameter accepts: finite numbers between <see cref="Minimum"/> and <see cref="Maximum"/>,
/// each bound included or not. Written as messages show it: <c>[0, 1)</c>, <c>(0, +inf)</c>.
/// </summary>
/// <param name="Minimum">The lower bound; <see cref="double.NegativeInfinity"/> for none.</param>
/// <param name="IncludesMinimum">Whether <paramref name="Minimum"/> itself is accepted.</param>
/// <param name="Maximum">The upper bound; <see cref="double.PositiveInfinity"/> for none.</param>
/// <param name="IncludesMaximum">Whether <paramref name="Maximum"/> itself is accepted.</param>
public readonly record struct HyperparameterRange(double Minimum, bool IncludesMinimum, double Maximum, bool IncludesMaximum)
{
    /// <summary>(0, +inf): a clipping threshold.</summary>
    public static HyperparameterRange Positive { get; } = new(0, false, double.PositiveInfinity, false);

    /// <summary>[0, +inf): a learning rate, an ε, a weight decay.</summary>
    public static HyperparameterRange NonNegative { get; } = new(0, true, double.PositiveInfinity, false);

    /// <summary>[0, 1): the decay of an exponential moving average.</summary>
    public static HyperparameterRange UnitInterval { get; } = new(0, true, 1, false);

    /// <summary>(-inf, 0]: Adafactor's decay-rate exponent.</summary>
    public static HyperparameterRange NonPositive { get; } = new(double.NegativeInfinity, false, 0, true);

    /// <summary>Whether <paramref name="value"/> is finite and within the bounds.</summary>
    public bool Contains(double value) =>
        double.IsFinite(value)
        && (IncludesMinimum ? value >= Minimum : value > Minimum)
        && (IncludesMaximum ? value <= Maximum : value < Maximum);

    /// <summary>The interval in the notation of the messages, such as <c>[0, 1)</c>.</summary>
    public override string ToString() =>
        $"{(IncludesMinimum ? '[' : '(')}{Bound(Minimum)}, {Bound(Maximum)}{(IncludesMaximum ? ']' : ')')}";

    private static string Bound(double bound) => bound switch
    {
        double.NegativeInfinity => "-inf",
        double.PositiveInfinity => "+inf",
        _ => bound.ToString(CultureInfo.InvariantCulture),
    };
}
