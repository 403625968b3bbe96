namespace CameSharp.Kernels;

/// <summary>
/// A pass over a factored tensor, cut into <see cref="FactoredLayout"/> chunks. Its arguments are one value, set for each
/// run in one statement, so that a pass states only what it computes over a chunk's rows.
/// </summary>
/// <typeparam name="TArguments">The pass's tensors and scalars for one run.</typeparam>
internal abstract class FactoredPass<TArguments> : ChunkJob where TArguments : struct
{
    private FactoredLayout layout;
    private TArguments arguments;

    protected void Run(KernelRunner runner, FactoredLayout tensorLayout, TArguments passArguments)
    {
        layout = tensorLayout;
        arguments = passArguments;
        runner.Run(this, layout.ChunkCount);
    }

    public sealed override void Run(int chunk) => Run(chunk, layout, arguments);

    protected abstract void Run(int chunk, in FactoredLayout layout, in TArguments a);
}
