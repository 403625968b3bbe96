namespace CameSharp;

/// <summary>
/// A named float32 tensor that an optimizer updates in place: its shape, its values and, when it has one
/// for the next step, its gradient. Values and gradient are <see cref="Memory{T}"/>, so they may live in managed
/// arrays or in native memory (see <see cref="UnmanagedFloatMemory"/>). Both are row-major.
/// </summary>
public sealed class Parameter
{
    private readonly int[] shape;
    private Memory<float> data;
    private Memory<float> grad;

    /// <summary>Creates a parameter over <paramref name="data"/> with the given shape, or a vector when no shape is given.</summary>
    /// <param name="name">A name unique within an optimizer; checkpoints key state by it.</param>
    /// <param name="data">The values, row-major; its length must be the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The dimensions, outermost first, each at least 1; none makes a vector of <paramref name="data"/>'s length.</param>
    public Parameter(string name, Memory<float> data, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0) shape = [data.Length];
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 1)
                throw new ArgumentOutOfRangeException(nameof(shape), d,
                    $"every dimension of parameter '{name}' must be in [1, {int.MaxValue}]; got [{string.Join(", ", shape)}].");
            count *= d;
            if (count > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(shape), count,
                    $"parameter '{name}' has more than {int.MaxValue} elements; split it into several parameters.");
        }
        Name = name;
        this.shape = (int[])shape.Clone();
        Length = (int)count;
        Data = data;
    }

    /// <summary>Creates a parameter over a managed array, shaped as a vector when no shape is given.</summary>
    public Parameter(string name, float[] data, params int[] shape)
        : this(name, new Memory<float>(data ?? throw new ArgumentNullException(nameof(data))), shape ?? [])
    {
    }

    /// <summary>The parameter's name, unique within an optimizer.</summary>
    public string Name { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>The number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>The values, which the optimizer updates in place. Its length must equal <see cref="Length"/>.</summary>
    public Memory<float> Data
    {
        get => data;
        set => data = value.Length == Length
            ? value
            : throw new ArgumentException(
                $"data of parameter '{Name}' must have {Length} elements (shape [{string.Join(", ", shape)}]); got {value.Length}.",
                nameof(value));
    }

    /// <summary>
    /// The gradient for the next step, or empty when the parameter has none (it is then skipped by
    /// <see cref="Optimizer.Step"/>). A non-empty gradient must have <see cref="Length"/> elements.
    /// </summary>
    /// <remarks>
    /// Set it before every step: <see cref="Optimizer.Step"/> consumes it, leaving it empty whether the step is taken,
    /// skipped or refused, so a gradient not set again is never reused. Only the reference is dropped; the memory
    /// stays the caller's, and assigning the same buffer each step, refilled in place, copies nothing.
    /// </remarks>
    public Memory<float> Grad
    {
        get => grad;
        set => grad = value.IsEmpty || value.Length == Length
            ? value
            : throw new ArgumentException(
                $"gradient of parameter '{Name}' must have {Length} elements (shape [{string.Join(", ", shape)}]); got {value.Length}.",
                nameof(value));
    }

    /// <summary>True when <see cref="Grad"/> holds a gradient for the next step.</summary>
    public bool HasGrad => !grad.IsEmpty;

    /// <summary>Drops the gradient once a step has consumed it.</summary>
    internal void ClearGrad() => grad = default;

    /// <summary>Returns a copy of the shape.</summary>
    public int[] GetShape() => (int[])shape.Clone();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", shape)}]";
}
