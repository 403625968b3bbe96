namespace CameSharp;

/// <summary>
/// A named state tensor, under the official PyTorch implementation's name (exp_avg, exp_avg_sq_row, ...), or an 8-bit
/// state's exp_avg_codes (one byte an element of <paramref name="Shape"/>, packed four to a float of <paramref name="Data"/>).
/// </summary>
internal readonly record struct StateTensor(string Name, Memory<float> Data, int[] Shape, StateEncoding Encoding);

/// <summary>
/// Supplies the memory of one state tensor, named as in the official code (exp_avg, exp_avg_sq_row, ...), zeroed.
/// </summary>
internal delegate Memory<float> StateAllocator(string name, int[] shape);

/// <summary>What the engine keeps for one parameter between steps: its tensors as its rule laid them out, and its step count.</summary>
internal sealed class ParameterState
{
    private readonly StateTensor[] saved;

    public ParameterState(TensorStep<Memory<float>, double> tensors)
    {
        View = tensors;
        saved = tensors.Layout.Zip(tensors.Tensors)
            .Where(t => t.First.Saved)
            .Select(t => new StateTensor(t.First.Name, t.Second, t.First.Shape, t.First.Encoding))
            .ToArray();
        Bytes = 4L * tensors.Tensors.Sum(t => (long)t.Length);
    }

    /// <summary>The parameter's tensors as the rule steps them.</summary>
    public TensorStep<Memory<float>, double> View { get; }

    /// <summary>Steps taken by this parameter (the reference's <c>state["step"]</c>).</summary>
    public long Step { get; set; }

    /// <summary>Bytes of memory this state holds, scratch included.</summary>
    public long Bytes { get; }

    /// <summary>The tensors that carry the state from step to step (and are saved), in a fixed order.</summary>
    public IReadOnlyList<StateTensor> Tensors => saved;
}
