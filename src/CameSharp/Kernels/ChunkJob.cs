namespace CameSharp.Kernels;

/// <summary>
/// One pass of a kernel, split into chunks that a <see cref="KernelRunner"/> may run on any thread in any
/// order. A chunk writes only its own outputs (its rows, its partial sums), so results never depend on how
/// chunks were scheduled. Jobs are reused objects whose fields are set before each run: no allocation per step.
/// </summary>
internal abstract class ChunkJob
{
    public abstract void Run(int chunk);
}
