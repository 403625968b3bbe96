using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// A hyperparameter of <typeparamref name="TOptions"/> whose value is a <typeparamref name="TValue"/>: <see cref="double"/>,
/// <see cref="Nullable{Double}"/> or <see cref="bool"/>. The options record's property takes its default from
/// <see cref="Default"/> and checks every value it is given with <see cref="Validate"/>.
/// </summary>
/// <typeparam name="TOptions">The options record that holds the value.</typeparam>
/// <typeparam name="TValue">The value's type.</typeparam>
public sealed class Hyperparameter<TOptions, TValue> : Hyperparameter where TOptions : OptimizerOptions
{
    private readonly TValue defaultValue;
    private readonly Func<TOptions, TValue> get;
    private readonly Func<TOptions, TValue, TOptions> with;

    internal Hyperparameter(string name, string propertyName, string? symbol, string? label, HyperparameterRange? range,
        (string Key, int Index)? element, bool isRequired, TValue defaultValue, Func<TOptions, TValue> get, Func<TOptions, TValue, TOptions> with)
        : base(name, propertyName, symbol, label, range, element, isRequired)
    {
        Debug.Assert(typeof(TValue) == typeof(double) || typeof(TValue) == typeof(double?) || typeof(TValue) == typeof(bool));
        this.defaultValue = defaultValue;
        this.get = get;
        this.with = with;
    }

    /// <summary>The default. Throws <see cref="InvalidOperationException"/> for a required hyperparameter, which has none.</summary>
    public TValue Default => IsRequired ? throw new InvalidOperationException($"{Name} is required: it has no default.") : defaultValue;

    /// <inheritdoc/>
    public override Type ValueType => typeof(TValue);

    /// <inheritdoc/>
    public override object? DefaultValue => IsRequired ? null : defaultValue;

    /// <summary>The value in <paramref name="options"/>.</summary>
    public TValue Get(TOptions options) => get(options);

    /// <summary>A copy of <paramref name="options"/> with <paramref name="value"/> (checked as the property checks it).</summary>
    public TOptions With(TOptions options, TValue value) => with(options, value);

    /// <summary>
    /// <paramref name="value"/> when it lies in <see cref="Hyperparameter.Range"/> (null, "off", always does); otherwise
    /// throws <see cref="ArgumentOutOfRangeException"/> naming the property, the symbol and the range.
    /// </summary>
    public TValue Validate(TValue value)
    {
        if (Range is { } range && value is double number) Check.InRange(number, range, PropertyName, Label);
        return value;
    }

    /// <inheritdoc/>
    public override object? GetValue(OptimizerOptions options) => Get((TOptions)options);

    /// <summary>This declaration with another default: LAMB's ε is AdamW's with apex's default.</summary>
    internal Hyperparameter<TOptions, TValue> WithDefault(TValue value) =>
        new(Name, PropertyName, Symbol, Label, Range, ReferenceIndex is { } i ? (ReferenceKey, i) : null, IsRequired, Validate(value), get, with);

    internal override JsonNode? ToJson(OptimizerOptions options) => Get((TOptions)options) switch
    {
        null => null,
        double number => JsonValue.Create(number),
        bool flag => JsonValue.Create(flag),
        var other => throw new UnreachableException($"{Name} holds a {other.GetType()}."),
    };

    internal override bool TryRead(ref OptimizerOptions options, IHyperparameterSource source)
    {
        TValue value;
        if (typeof(TValue) == typeof(bool))
        {
            if (!source.TryGetFlag(this, out bool flag)) return false;
            value = (TValue)(object)flag;
        }
        else
        {
            if (!source.TryGetNumber(this, out double number)) return false;
            value = (TValue)(object)number;
        }
        options = With((TOptions)options, value);
        return true;
    }

    internal override bool Declares(Type optionsType) => typeof(TOptions).IsAssignableFrom(optionsType);
}
