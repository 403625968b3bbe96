namespace CameSharp;

/// <summary>
/// Everything one tensor's step reads and writes on a backend: the parameter, its gradient, its named state and
/// scratch (laid out by an <see cref="UpdateRule{TOptions}"/>), and the scalar that the rule's first pass leaves for
/// the rest of the step. The caller owns the memory and the step count; this object only names the tensors.
/// </summary>
/// <typeparam name="TTensor">The backend's tensor.</typeparam>
/// <typeparam name="TScalar">The backend's scalar.</typeparam>
public sealed class TensorStep<TTensor, TScalar>
{
    private readonly StateTensorSpec[] specs;
    private readonly TTensor[] tensors;
    private readonly int[] shape;

    /// <summary>Names the tensors of one parameter.</summary>
    /// <param name="name">The parameter's name, for messages.</param>
    /// <param name="shape">The parameter's shape.</param>
    /// <param name="parameter">The parameter's values, updated in place.</param>
    /// <param name="layout">The rule's state layout for this parameter.</param>
    /// <param name="tensors">The tensor of each entry of <paramref name="layout"/>, in order.</param>
    /// <param name="index">The parameter's position in its optimizer (0 for the first); it keys the stochastic rounding of 8-bit second moments.</param>
    public TensorStep(string name, ReadOnlySpan<int> shape, TTensor parameter, IEnumerable<StateTensorSpec> layout, IEnumerable<TTensor> tensors, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(tensors);
        Name = name;
        Index = index;
        this.shape = shape.ToArray();
        Length = this.shape.Aggregate(1L, (a, b) => a * b);
        Parameter = parameter;
        specs = layout.ToArray();
        this.tensors = tensors.ToArray();
        if (specs.Length != this.tensors.Length)
            throw new ArgumentException($"the layout names {specs.Length} tensors; {this.tensors.Length} were given.", nameof(tensors));
    }

    /// <summary>The parameter's name, for messages.</summary>
    public string Name { get; }

    /// <summary>The parameter's position in its optimizer; it keys the stochastic rounding of 8-bit second moments.</summary>
    public int Index { get; }

    /// <summary>The parameter's shape.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>True for a tensor of two or more dimensions, whose second moment is factored.</summary>
    public bool IsFactored => shape.Length >= 2;

    /// <summary>The parameter's values, updated in place.</summary>
    public TTensor Parameter { get; set; }

    /// <summary>This step's gradient.</summary>
    public TTensor Gradient { get; set; } = default!;

    /// <summary>What the rule's first pass left for the rest of the step (Σ u² for the RMS clip, say).</summary>
    public TScalar Pending { get; set; } = default!;

    /// <summary>The layout, in order.</summary>
    public IReadOnlyList<StateTensorSpec> Layout => specs;

    /// <summary>The tensors of <see cref="Layout"/>, in order.</summary>
    public IReadOnlyList<TTensor> Tensors => tensors;

    /// <summary>The state tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The layout has no such tensor.</exception>
    public TTensor this[string name] => Find(name, "");

    /// <summary>True when the layout holds a tensor named <paramref name="name"/>.</summary>
    public bool Has(string name) => IndexOf(name, "") >= 0;

    /// <summary>
    /// The full-size state <paramref name="name"/> (<c>exp_avg</c>, <c>exp_avg_sq</c>) as the layout holds it: the float32
    /// tensor of that name, or its <c>_codes</c> and <c>_absmax</c> (see <see cref="StateTensorSpec.FullSize"/>), with the
    /// key of this step's stochastic rounding where its code has one (<see cref="Blockwise8Bit.RoundingKey"/>).
    /// </summary>
    /// <param name="name">The state's name.</param>
    /// <param name="step">The step being taken (1 for the first).</param>
    public Moment<TTensor> Moment(string name, long step)
    {
        if (IndexOf(name, "") is var i and >= 0) return Moment<TTensor>.Float32(tensors[i]);
        int codes = IndexOf(name, StateTensorSpec.CodesSuffix);
        if (codes < 0) throw new KeyNotFoundException($"'{Name}' has no state tensor '{name}'.");
        var encoding = specs[codes].Encoding;
        uint key = encoding == StateEncoding.UnsignedCodes ? Blockwise8Bit.RoundingKey(step, Index) : 0;
        return new(tensors[codes], Find(name, StateTensorSpec.AbsmaxSuffix), encoding, key);
    }

    /// <summary>True when the layout holds the full-size state <paramref name="name"/> in either encoding.</summary>
    public bool HasMoment(string name) => IndexOf(name, "") >= 0 || IndexOf(name, StateTensorSpec.CodesSuffix) >= 0;

    /// <summary>The factored statistic <paramref name="name"/> (<c>exp_avg_sq</c>, <c>exp_avg_res</c>).</summary>
    public Factored<TTensor> Factored(string name) =>
        new(shape, Find(name, "_row"), Find(name, "_col"), Find(name, Factored<TTensor>.RowFactorSuffix), Find(name, Factored<TTensor>.ColFactorSuffix));

    private TTensor Find(string name, string suffix) =>
        IndexOf(name, suffix) is var i and >= 0 ? tensors[i] : throw new KeyNotFoundException($"'{Name}' has no state tensor '{name}{suffix}'.");

    /// <summary>The index of the tensor named <paramref name="name"/> followed by <paramref name="suffix"/>; compared in place, as a step must not allocate.</summary>
    private int IndexOf(string name, string suffix)
    {
        for (int i = 0; i < specs.Length; i++)
        {
            var candidate = specs[i].Name.AsSpan();
            if (candidate.Length == name.Length + suffix.Length && candidate.StartsWith(name, StringComparison.Ordinal)
                && candidate.EndsWith(suffix, StringComparison.Ordinal))
                return i;
        }
        return -1;
    }
}
