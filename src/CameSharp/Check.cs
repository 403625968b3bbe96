namespace CameSharp;

/// <summary>Argument checks whose messages name the argument, the paper's symbol and the accepted range.</summary>
internal static class Check
{
    public static double Positive(double value, string name, string symbol) =>
        double.IsFinite(value) && value > 0
            ? value
            : throw OutOfRange(name, symbol, value, "(0, +inf)");

    public static double NonNegative(double value, string name, string symbol) =>
        double.IsFinite(value) && value >= 0
            ? value
            : throw OutOfRange(name, symbol, value, "[0, +inf)");

    public static double UnitInterval(double value, string name, string symbol) =>
        double.IsFinite(value) && value >= 0 && value < 1
            ? value
            : throw OutOfRange(name, symbol, value, "[0, 1)");

    public static double NonPositive(double value, string name, string symbol) =>
        double.IsFinite(value) && value <= 0
            ? value
            : throw OutOfRange(name, symbol, value, "(-inf, 0]");

    private static ArgumentOutOfRangeException OutOfRange(string name, string symbol, double value, string range) =>
        new(name, value, $"{name} ({symbol}) must be a finite number in {range}; got {value}.");
}
