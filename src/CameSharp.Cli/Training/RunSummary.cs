using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameSharp.Cli.Training;

/// <summary>What a training run reports in summary.json, under snake_case keys (the learning rate as <c>lr</c>).</summary>
internal sealed record RunSummary
{
    public required string Model { get; init; }
    public required string Optimizer { get; init; }
    [JsonPropertyName("lr")] public required double LearningRate { get; init; }
    public required int Seed { get; init; }
    public required int Steps { get; init; }
    public required int StepsCompleted { get; init; }
    public required int Batch { get; init; }
    public required int Accumulate { get; init; }
    public required long TokensPerStep { get; init; }
    public required long Parameters { get; init; }
    public required double FinalValLoss { get; init; }
    public double? FinalValAccuracy { get; init; }
    public required long OptimizerStateBytes { get; init; }
    public required double MedianStepMs { get; init; }
    public required double TokensPerSecond { get; init; }
    public required long PeakWorkingSetBytes { get; init; }
    public required bool Interrupted { get; init; }
    public required string Data { get; init; }
    public required string Tokenizer { get; init; }
    /// <summary>libtorch's intra-op threads; a seed reproduces a run bitwise at the same count. Absent in older summaries.</summary>
    public int? Threads { get; init; }
    /// <summary>cpu or cuda: where the run's tensors lived. Absent in older summaries, whose runs were all on the CPU.</summary>
    public string? Device { get; init; }
    /// <summary>fp32 or bf16: the parameters' dtype. Absent in older summaries, whose runs were all float32.</summary>
    public string? Dtype { get; init; }
    /// <summary>How a bf16 run's optimizer rounded into the parameters: stochastic or nearest. Absent for float32 runs.</summary>
    public string? Rounding { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static RunSummary Read(string path) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");
}
