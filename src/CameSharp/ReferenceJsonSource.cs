using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>Hyperparameters under the reference's keys, as checkpoints and torch.optim param groups hold them.</summary>
internal sealed class ReferenceJsonSource : IHyperparameterSource
{
    private readonly JsonObject hyper;

    /// <summary>Checks the arrays' shapes first, so that a wrong one is named whatever else is wrong.</summary>
    public ReferenceJsonSource(IEnumerable<Hyperparameter> members, JsonObject hyper)
    {
        this.hyper = hyper;
        foreach (var array in members.Where(m => m.ReferenceIndex is not null).GroupBy(m => m.ReferenceKey))
        {
            string key = array.Key;
            if (hyper[key] is not JsonArray given)
            {
                if (hyper[key] is null) continue;
                throw new ArgumentException($"{key} must be an array.", key);
            }
            if (given.Count != array.Count())
                throw new ArgumentException($"{key} must hold {array.Count()} numbers; got {given.Count}.", key);
        }
    }

    public bool TryGetNumber(Hyperparameter hyperparameter, out double value)
    {
        var node = Node(hyperparameter);
        value = node is null ? 0 : ToDouble(node, hyperparameter.ReferenceKey);
        return node is not null;
    }

    public bool TryGetFlag(Hyperparameter hyperparameter, out bool value)
    {
        var node = Node(hyperparameter);
        value = node is not null && node.GetValue<bool>();
        return node is not null;
    }

    private JsonNode? Node(Hyperparameter h) => h.ReferenceIndex is { } index
        ? hyper[h.ReferenceKey] is JsonArray array ? array[index] ?? throw new InvalidOperationException($"{h.ReferenceKey} must hold numbers.") : null
        : hyper[h.Name];

    /// <summary>Reads any JSON number, whether parsed from text or built in code from an int, long or double.</summary>
    private static double ToDouble(JsonNode node, string key) =>
        node.GetValueKind() == JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{key} must be a number; got {node.ToJsonString()}.");
}
