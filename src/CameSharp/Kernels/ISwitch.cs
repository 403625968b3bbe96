namespace CameSharp.Kernels;

/// <summary>
/// A mode of a pass (momentum on or off, parameters moved or not) as a type argument: the JIT compiles the pass once per
/// mode and drops the branch, so a mode costs nothing inside the loop.
/// </summary>
internal interface ISwitch
{
    static abstract bool IsOn { get; }
}

internal readonly struct On : ISwitch
{
    public static bool IsOn => true;
}

internal readonly struct Off : ISwitch
{
    public static bool IsOn => false;
}
