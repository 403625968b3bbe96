using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>A <see cref="HyperparameterSet{TOptions}"/> seen from code that does not know the options type.</summary>
internal interface IHyperparameterSet
{
    string OptimizerName { get; }

    Type OptionsType { get; }

    IReadOnlyList<string> ReferenceKeys { get; }

    OptimizerOptions FromReference(JsonObject hyper);

    JsonObject ToReference(OptimizerOptions options);
}
