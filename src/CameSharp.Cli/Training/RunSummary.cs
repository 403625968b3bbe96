using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameSharp.Cli.Training;

/// <summary>What a training run reports in summary.json.</summary>
internal sealed record RunSummary
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("optimizer")] public required string Optimizer { get; init; }
    [JsonPropertyName("lr")] public required double LearningRate { get; init; }
    [JsonPropertyName("seed")] public required int Seed { get; init; }
    [JsonPropertyName("steps")] public required int Steps { get; init; }
    [JsonPropertyName("steps_completed")] public required int StepsCompleted { get; init; }
    [JsonPropertyName("batch")] public required int Batch { get; init; }
    [JsonPropertyName("accumulate")] public required int Accumulate { get; init; }
    [JsonPropertyName("tokens_per_step")] public required long TokensPerStep { get; init; }
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    [JsonPropertyName("final_val_loss")] public required double FinalValLoss { get; init; }
    [JsonPropertyName("final_val_accuracy")] public double? FinalValAccuracy { get; init; }
    [JsonPropertyName("optimizer_state_bytes")] public required long OptimizerStateBytes { get; init; }
    [JsonPropertyName("median_step_ms")] public required double MedianStepMs { get; init; }
    [JsonPropertyName("tokens_per_second")] public required double TokensPerSecond { get; init; }
    [JsonPropertyName("peak_working_set_bytes")] public required long PeakWorkingSetBytes { get; init; }
    [JsonPropertyName("interrupted")] public required bool Interrupted { get; init; }
    [JsonPropertyName("data")] public required string Data { get; init; }
    [JsonPropertyName("tokenizer")] public required string Tokenizer { get; init; }
    /// <summary>libtorch's intra-op threads; a seed reproduces a run bitwise at the same count. Absent in older summaries.</summary>
    [JsonPropertyName("threads")] public int? Threads { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static RunSummary Read(string path) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");
}
