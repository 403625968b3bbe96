using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// One hyperparameter of one optimizer, declared once: its reference name, the paper's symbol, its default, the values
/// it accepts and its place in the reference's param group. The options records' validation and defaults, their
/// <see cref="OptimizerOptions.ToReference"/> and <see cref="OptimizerOptions.FromReference"/>, and the TorchSharp
/// adapter's options all derive from these declarations; <see cref="HyperparameterSet{TOptions}"/> lists an optimizer's.
/// </summary>
public abstract class Hyperparameter
{
    private protected Hyperparameter(string name, string propertyName, string? symbol, string? label, HyperparameterRange? range,
        (string Key, int Index)? element, bool isRequired)
    {
        Name = name;
        PropertyName = propertyName;
        Symbol = symbol;
        Label = label ?? symbol ?? name;
        Range = range;
        ReferenceKey = element?.Key ?? name;
        ReferenceIndex = element?.Index;
        IsRequired = isRequired;
    }

    /// <summary>
    /// The name the reference implementation, torch.optim and the TorchSharp adapter use: <c>lr</c>, <c>beta1</c>,
    /// <c>clip_threshold</c>, <c>bias_correction</c>. It is also the name of the adapter's option field and factory argument.
    /// </summary>
    public string Name { get; }

    /// <summary>The options record's property: <c>LearningRate</c>, <c>Beta1</c>, <c>ClipThreshold</c>.</summary>
    public string PropertyName { get; }

    /// <summary>The paper's symbol (η, β1, ε2, d, λ, c); null for a switch such as <c>bias_correction</c>.</summary>
    public string? Symbol { get; }

    /// <summary>The values a number accepts; null for a switch.</summary>
    public HyperparameterRange? Range { get; }

    /// <summary>
    /// The key of the reference's param group that holds the value: <see cref="Name"/>, or the array it is an element of
    /// (CAME's β1, β2, β3 are <c>betas</c>, its ε1, ε2 <c>eps</c>).
    /// </summary>
    public string ReferenceKey { get; }

    /// <summary>The position in the array <see cref="ReferenceKey"/>; null when the value stands alone under its name.</summary>
    public int? ReferenceIndex { get; }

    /// <summary>Whether the value must be given (CAME's <c>lr</c>); such a hyperparameter has no default.</summary>
    public bool IsRequired { get; }

    /// <summary>The type of the value: <see cref="double"/>, <see cref="Nullable{Double}"/> (null: off) or <see cref="bool"/>.</summary>
    public abstract Type ValueType { get; }

    /// <summary>The default, boxed; null when there is none (required) or when it is null (off).</summary>
    public abstract object? DefaultValue { get; }

    /// <summary>The value in <paramref name="options"/>, boxed; for tools and tests, not for a step.</summary>
    public abstract object? GetValue(OptimizerOptions options);

    /// <summary>How the range message names the value after the property: the symbol, with the reference name where it helps (lr, η).</summary>
    private protected string Label { get; }

    /// <summary>The value in <paramref name="options"/> as the reference's JSON writes it.</summary>
    internal abstract JsonNode? ToJson(OptimizerOptions options);

    /// <summary>Sets the value <paramref name="source"/> gives in <paramref name="options"/>; false when it gives none.</summary>
    internal abstract bool TryRead(ref OptimizerOptions options, IHyperparameterSource source);

    /// <summary>Whether the declaration's options type is <paramref name="optionsType"/> or one of its bases.</summary>
    internal abstract bool Declares(Type optionsType);

    /// <summary>A number in <paramref name="range"/> with a default.</summary>
    internal static Hyperparameter<TOptions, double> Number<TOptions>(string name, string propertyName, string symbol, double defaultValue,
        HyperparameterRange range, Func<TOptions, double> get, Func<TOptions, double, TOptions> with,
        (string Key, int Index)? element = null, string? label = null) where TOptions : OptimizerOptions =>
        new(name, propertyName, symbol, label, range, element, isRequired: false, defaultValue, get, with);

    /// <summary>A number in <paramref name="range"/> that must be given.</summary>
    internal static Hyperparameter<TOptions, double> RequiredNumber<TOptions>(string name, string propertyName, string symbol,
        HyperparameterRange range, Func<TOptions, double> get, Func<TOptions, double, TOptions> with, string? label = null)
        where TOptions : OptimizerOptions =>
        new(name, propertyName, symbol, label, range, element: null, isRequired: true, defaultValue: 0, get, with);

    /// <summary>A number in <paramref name="range"/>, or null (the default) for "off".</summary>
    internal static Hyperparameter<TOptions, double?> OptionalNumber<TOptions>(string name, string propertyName, string symbol,
        HyperparameterRange range, Func<TOptions, double?> get, Func<TOptions, double?, TOptions> with, string? label = null)
        where TOptions : OptimizerOptions =>
        new(name, propertyName, symbol, label, range, element: null, isRequired: false, defaultValue: null, get, with);

    /// <summary>A switch.</summary>
    internal static Hyperparameter<TOptions, bool> Flag<TOptions>(string name, string propertyName, bool defaultValue,
        Func<TOptions, bool> get, Func<TOptions, bool, TOptions> with) where TOptions : OptimizerOptions =>
        new(name, propertyName, symbol: null, label: null, range: null, element: null, isRequired: false, defaultValue, get, with);
}
