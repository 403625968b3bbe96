using System.Collections;
using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// An optimizer's hyperparameters, in the order of the reference's param group (the order of
/// <see cref="OptimizerOptions.ToReference"/>'s keys). From it derive the options' JSON under the reference's names, the
/// keys it accepts, and options built from any <see cref="IHyperparameterSource"/>.
/// </summary>
/// <typeparam name="TOptions">The options record.</typeparam>
public sealed class HyperparameterSet<TOptions> : IReadOnlyList<Hyperparameter>, IHyperparameterSet where TOptions : OptimizerOptions
{
    private readonly Hyperparameter[] members;
    private readonly Func<TOptions> defaults;

    /// <param name="optimizerName">The optimizer as the references name it.</param>
    /// <param name="defaults">
    /// Options with every default; a required hyperparameter may hold any valid value there, since <see cref="Create"/>
    /// always replaces it.
    /// </param>
    /// <param name="members">The declarations; the elements of one reference array stand together, in its order.</param>
    internal HyperparameterSet(string optimizerName, Func<TOptions> defaults, params Hyperparameter[] members)
    {
        OptimizerName = optimizerName;
        this.defaults = defaults;
        this.members = members;
        foreach (var h in members)
        {
            if (!h.Declares(typeof(TOptions))) throw new ArgumentException($"{h.Name} is not declared for {typeof(TOptions).Name}.", nameof(members));
            if (members.Count(m => m.Name == h.Name) != 1) throw new ArgumentException($"{h.Name} is declared twice.", nameof(members));
        }
        for (int i = 0; i < members.Length; i++)
            if (members[i].ReferenceIndex is { } index && index > 0
                && (members[i - 1].ReferenceKey != members[i].ReferenceKey || members[i - 1].ReferenceIndex != index - 1))
                throw new ArgumentException($"{members[i].Name} is out of place in {members[i].ReferenceKey}.", nameof(members));
        ReferenceKeys = members.Select(m => m.ReferenceKey).Distinct().ToArray();
    }

    /// <summary>The optimizer as the references name it: came, adafactor, adamw or lamb.</summary>
    public string OptimizerName { get; }

    /// <summary>The keys of the reference's param group (<c>lr</c>, <c>betas</c>, <c>eps</c>, ...), in order.</summary>
    public IReadOnlyList<string> ReferenceKeys { get; }

    /// <inheritdoc/>
    public int Count => members.Length;

    /// <inheritdoc/>
    public Hyperparameter this[int index] => members[index];

    /// <summary>The hyperparameter named <paramref name="name"/> (<c>beta1</c>, <c>clip_threshold</c>).</summary>
    /// <exception cref="KeyNotFoundException">The optimizer has no such hyperparameter.</exception>
    public Hyperparameter this[string name] =>
        members.FirstOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"{OptimizerName} has no hyperparameter {name}.");

    /// <inheritdoc/>
    public IEnumerator<Hyperparameter> GetEnumerator() => ((IEnumerable<Hyperparameter>)members).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Options with the values <paramref name="source"/> gives and the defaults for the rest, each checked against its
    /// range, then the rules that tie several together. Throws <see cref="ArgumentException"/> for a required value not
    /// given or a broken rule, <see cref="ArgumentOutOfRangeException"/> for a value out of range.
    /// </summary>
    public TOptions Create(IHyperparameterSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        OptimizerOptions options = defaults();
        foreach (var h in members)
            if (!h.TryRead(ref options, source) && h.IsRequired)
                throw new ArgumentException($"{h.Name} is required for {OptimizerName}.", h.Name);
        options.Validate();
        return (TOptions)options;
    }

    /// <summary>The values of <paramref name="options"/> under the reference's keys, arrays included.</summary>
    internal JsonObject ToReference(TOptions options)
    {
        var json = new JsonObject();
        foreach (var h in members)
        {
            var value = h.ToJson(options);
            if (h.ReferenceIndex is not { } index) json[h.Name] = value;
            else if (index == 0) json[h.ReferenceKey] = new JsonArray(value);
            else ((JsonArray)json[h.ReferenceKey]!).Add(value);
        }
        return json;
    }

    /// <summary>Options from the reference's keys; a missing key takes the default.</summary>
    internal TOptions FromReference(JsonObject hyper)
    {
        var unknown = hyper.Select(kv => kv.Key).Where(k => !ReferenceKeys.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"unknown hyperparameter(s) {string.Join(", ", unknown)} for {OptimizerName}; known: {string.Join(", ", ReferenceKeys)}.", nameof(hyper));
        try
        {
            return Create(new ReferenceJsonSource(members, hyper));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"a hyperparameter of {OptimizerName} has the wrong type: {e.Message}", nameof(hyper), e);
        }
    }

    Type IHyperparameterSet.OptionsType => typeof(TOptions);

    OptimizerOptions IHyperparameterSet.FromReference(JsonObject hyper) => FromReference(hyper);

    JsonObject IHyperparameterSet.ToReference(OptimizerOptions options) => ToReference((TOptions)options);
}
