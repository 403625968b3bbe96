using CameSharp.Kernels;

namespace CameSharp;

/// <summary>A named state tensor, under the official PyTorch implementation's name (exp_avg, exp_avg_sq_row, ...).</summary>
internal readonly record struct StateTensor(string Name, Memory<float> Data, int[] Shape);

/// <summary>
/// Supplies the memory of one state tensor, named as in the official code (exp_avg, exp_avg_sq_row, ...), zeroed.
/// The engine allocates managed arrays (<see cref="StateMemory"/>); the TorchSharp adapter hands out the memory of tensors it owns, so that the
/// engine's kernels update torch state in place.
/// </summary>
internal delegate Memory<float> StateAllocator(string name, int[] shape);

/// <summary>What an optimizer keeps for one parameter between steps.</summary>
internal abstract class ParameterState
{
    /// <summary>Steps taken by this parameter (the reference's <c>state["step"]</c>).</summary>
    public long Step { get; set; }

    /// <summary>Bytes of memory this state holds.</summary>
    public abstract long Bytes { get; }

    /// <summary>The tensors that carry the state from step to step, in a fixed order.</summary>
    public abstract IReadOnlyList<StateTensor> Tensors { get; }

    /// <summary>The shape of a factored statistic's row vector: the tensor's shape without its last dimension.</summary>
    public static int[] RowShape(ReadOnlySpan<int> shape) => shape[..^1].ToArray();

    /// <summary>The shape of its column vector: without the second-to-last dimension.</summary>
    public static int[] ColShape(ReadOnlySpan<int> shape) => [.. shape[..^2], shape[^1]];

    /// <summary>Allocates every tensor of <paramref name="layout"/> and returns them in order.</summary>
    protected static StateTensor[] AllocateAll(IEnumerable<(string Name, int[] Shape)> layout, StateAllocator allocate) =>
        layout.Select(l => new StateTensor(l.Name, allocate(l.Name, l.Shape), l.Shape)).ToArray();

    protected static Memory<float> Find(StateTensor[] tensors, string name)
    {
        foreach (var t in tensors)
            if (t.Name == name) return t.Data;
        return Memory<float>.Empty;
    }

    protected static FactoredMoment? Factored(StateTensor[] tensors, string name, int[] shape) =>
        shape.Length >= 2 ? new FactoredMoment(new FactoredLayout(shape), Find(tensors, name + "_row"), Find(tensors, name + "_col")) : null;
}
