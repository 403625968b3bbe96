namespace CameSharp;

/// <summary>What <see cref="Optimizer.Step"/> does when a gradient holds NaN or infinity (or a value whose square overflows float32).</summary>
public enum NonFinitePolicy
{
    /// <summary>Throw <see cref="NonFiniteGradientException"/>; parameters and state are left untouched. The default.</summary>
    Throw,

    /// <summary>Skip the whole step, leaving parameters and state untouched, and count it in <see cref="Optimizer.SkippedSteps"/>; what mixed-precision loss scaling needs.</summary>
    SkipStep,
}
