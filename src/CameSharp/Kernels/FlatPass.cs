namespace CameSharp.Kernels;

/// <summary>
/// A pass over a flat tensor, cut into <see cref="FlatLayout"/> chunks. Its arguments are one value, set for each run
/// in one statement, so that a pass states only what it computes over a chunk.
/// </summary>
/// <typeparam name="TArguments">The pass's tensors and scalars for one run.</typeparam>
internal abstract class FlatPass<TArguments> : ChunkJob where TArguments : struct
{
    private FlatLayout layout;
    private TArguments arguments;

    /// <summary>Runs the pass over <paramref name="length"/> elements; returns the chunk count, for passes that sum per chunk.</summary>
    protected int Run(KernelRunner runner, int length, TArguments passArguments)
    {
        layout = new FlatLayout(length);
        arguments = passArguments;
        runner.Run(this, layout.ChunkCount);
        return layout.ChunkCount;
    }

    public sealed override void Run(int chunk)
    {
        var (start, count) = layout.Range(chunk);
        Run(new FlatChunk(chunk, start, count), arguments);
    }

    protected abstract void Run(FlatChunk chunk, in TArguments a);
}
