using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// The hyperparameters of one param group. Each property checks its own range when set; rules that tie
/// several properties together are checked when the options are given to a <see cref="ParamGroup{TOptions}"/>.
/// </summary>
public abstract record OptimizerOptions
{
    private static readonly Dictionary<string, string[]> ReferenceKeys = new(StringComparer.Ordinal)
    {
        ["came"] = ["lr", "betas", "eps", "clip_threshold", "weight_decay", "bias_correction"],
        ["adafactor"] = ["lr", "eps", "clip_threshold", "decay_rate", "beta1", "weight_decay", "scale_parameter", "relative_step", "warmup_init"],
        ["adamw"] = ["lr", "betas", "eps", "weight_decay"],
        ["lamb"] = ["lr", "betas", "eps", "weight_decay"],
    };

    /// <summary>The optimizer these options belong to, as the references name it: came, adafactor, adamw or lamb.</summary>
    public abstract string OptimizerName { get; }

    /// <summary>
    /// The hyperparameters under the reference implementations' names (<c>lr</c>, <c>betas</c>, <c>eps</c>,
    /// <c>clip_threshold</c>, <c>weight_decay</c>, ...), as torch.optim param groups and checkpoints spell them.
    /// </summary>
    public abstract JsonObject ToReference();

    /// <summary>
    /// Options for <paramref name="optimizer"/> (came, adafactor, adamw, lamb) from hyperparameters under the reference's
    /// names; a missing key takes the reference default. Throws <see cref="ArgumentException"/> for an unknown optimizer
    /// or key, and <see cref="ArgumentOutOfRangeException"/> for a value out of range.
    /// </summary>
    public static OptimizerOptions FromReference(string optimizer, JsonObject hyper)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(hyper);
        if (!ReferenceKeys.TryGetValue(optimizer, out var keys))
            throw new ArgumentException($"unknown optimizer '{optimizer}'; known: {string.Join(", ", ReferenceKeys.Keys)}.", nameof(optimizer));
        var unknown = hyper.Select(kv => kv.Key).Where(k => !keys.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"unknown hyperparameter(s) {string.Join(", ", unknown)} for {optimizer}; known: {string.Join(", ", keys)}.", nameof(hyper));
        OptimizerOptions options;
        try
        {
            options = optimizer switch
            {
                "came" => CameOptions.FromReference(hyper),
                "adafactor" => AdafactorOptions.FromReference(hyper),
                "adamw" => AdamWOptions.FromReference(hyper),
                _ => LambOptions.FromReference(hyper),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"a hyperparameter of {optimizer} has the wrong type: {e.Message}", nameof(hyper), e);
        }
        options.Validate();
        return options;
    }

    /// <summary>Checks rules that involve more than one property; throws <see cref="ArgumentException"/> naming them.</summary>
    internal virtual void Validate() { }

    private protected static double Number(JsonObject h, string key, double fallback) =>
        h[key] is { } node ? ToDouble(node, key) : fallback;

    private protected static double? OptionalNumber(JsonObject h, string key) =>
        h[key] is { } node ? ToDouble(node, key) : null;

    /// <summary>Reads any JSON number, whether parsed from text or built in code from an int, long or double.</summary>
    private protected static double ToDouble(JsonNode node, string key) =>
        node.GetValueKind() == JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{key} must be a number; got {node.ToJsonString()}.");

    private protected static bool Flag(JsonObject h, string key, bool fallback) =>
        h[key] is { } node ? node.GetValue<bool>() : fallback;

    private protected static double[] Numbers(JsonObject h, string key, double[] fallback)
    {
        if (h[key] is not JsonArray array) return h[key] is null ? fallback : throw new ArgumentException($"{key} must be an array.", key);
        if (array.Count != fallback.Length)
            throw new ArgumentException($"{key} must hold {fallback.Length} numbers; got {array.Count}.", key);
        return array.Select(n => n is null ? throw new InvalidOperationException($"{key} must hold numbers.") : ToDouble(n, key)).ToArray();
    }
}
