namespace CameSharp.Kernels;

/// <summary>
/// A flat pass with two modes (momentum on or off, parameters moved or not), read from its arguments for each run and
/// handed to the chunk as an <see cref="ISwitch"/> type argument: the JIT compiles the chunk's loop once per mode.
/// </summary>
internal abstract class ModalFlatPass<TArguments> : FlatPass<TArguments> where TArguments : struct
{
    protected sealed override void Run(FlatChunk chunk, in TArguments a)
    {
        if (IsOn(a)) Run<On>(chunk, a);
        else Run<Off>(chunk, a);
    }

    /// <summary>Whether the run with <paramref name="a"/> is in the <see cref="On"/> mode.</summary>
    protected abstract bool IsOn(in TArguments a);

    protected abstract void Run<TMode>(FlatChunk chunk, in TArguments a) where TMode : struct, ISwitch;
}
