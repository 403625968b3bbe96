namespace CameSharp;

/// <summary>A gradient held NaN or infinity; the optimizer's parameters and state are unchanged.</summary>
public sealed class NonFiniteGradientException : Exception
{
    /// <summary>Creates the exception for <paramref name="parameterName"/> at optimizer step <paramref name="step"/>.</summary>
    public NonFiniteGradientException(string parameterName, long step)
        : base($"The gradient of parameter '{parameterName}' at step {step} is not finite (NaN, infinity, or a value whose square " +
               "overflows float32). No parameter or optimizer state was changed.")
    {
        ParameterName = parameterName;
        Step = step;
    }

    /// <summary>The parameter whose gradient was not finite.</summary>
    public string ParameterName { get; }

    /// <summary>The step (1-based, counted per parameter) that was refused.</summary>
    public long Step { get; }
}
