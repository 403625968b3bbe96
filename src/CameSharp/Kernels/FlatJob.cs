namespace CameSharp.Kernels;

/// <summary>A pass over a tensor as one flat array, chunked by <see cref="FlatLayout"/>.</summary>
internal abstract class FlatJob : ChunkJob
{
    protected FlatLayout Layout { get; private set; }

    protected void Execute(KernelRunner runner, int length)
    {
        Layout = new FlatLayout(length);
        runner.Run(this, Layout.ChunkCount);
    }

    public override void Run(int chunk)
    {
        var (start, count) = Layout.Range(chunk);
        ProcessRange(chunk, start, count);
    }

    protected abstract void ProcessRange(int chunk, int start, int count);
}
