namespace CameSharp;

/// <summary>Argument checks whose messages name the argument, the paper's symbol and the accepted range.</summary>
internal static class Check
{
    public static double InRange(double value, HyperparameterRange range, string name, string symbol) =>
        range.Contains(value)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} ({symbol}) must be a finite number in {range}; got {value}.");
}
