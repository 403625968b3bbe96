using System.Text.Json;
using CameSharp.Checkpoints;

namespace CameSharp.Tests.Checkpoints;

/// <summary>The protocol on its own, with state held in plain arrays rather than by an optimizer.</summary>
public sealed class OptimizerCheckpointTests : IDisposable
{
    private static readonly OptimizerCheckpoint ByName = new("test.names/1", ParameterKeys.Names);
    private static readonly OptimizerCheckpoint ByIndex = new("test.indices/1", ParameterKeys.Indices, "initial_lr");

    private readonly string folder = Directory.CreateTempSubdirectory("camesharp-protocol-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly CheckpointGroup[] Groups =
    [
        new(new AdamWOptions { LearningRate = 0.1 }, ["w", "v"]),
        new(new AdamWOptions { LearningRate = 0.2, WeightDecay = 0 }, ["b"]),
    ];

    /// <summary>State for "w" (2 x 3) and "b" (3); "v" has taken no step yet.</summary>
    private static CheckpointState? Saved(string key) => key switch
    {
        "w" or "0" => new CheckpointState(4, [new("exp_avg", [2, 3], OptimizerTests.Random(6, 1)), new("exp_avg_sq", [2, 3], OptimizerTests.Random(6, 2))]),
        "b" or "2" => new CheckpointState(3, [new("exp_avg", [3], OptimizerTests.Random(3, 3)), new("exp_avg_sq", [3], OptimizerTests.Random(3, 4))]),
        _ => null,
    };

    private static byte[] Save(OptimizerCheckpoint checkpoint, IReadOnlyList<CheckpointGroup> groups, Func<string, CheckpointState?> stateOf)
    {
        using var stream = new MemoryStream();
        checkpoint.Save(stream, groups, stateOf, skippedSteps: 7);
        return stream.ToArray();
    }

    /// <summary>A stager that gives each parameter the tensors <see cref="Saved"/> has, in fresh arrays it records.</summary>
    private static CheckpointStager<AdamWOptions> Stager(Dictionary<string, float[]> staged) => (key, _, _) =>
        Saved(key)!.Tensors.Select(t =>
        {
            var data = new float[t.Data.Length];
            staged[$"{key}.{t.Name}"] = data;
            return new CheckpointTensor(t.Name, t.Shape, data);
        }).ToArray();

    private static JsonElement Metadata(byte[] file)
    {
        int length = (int)BitConverter.ToUInt64(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, length));
        return header.RootElement.GetProperty("__metadata__").Clone();
    }

    [Fact]
    public void A_load_returns_what_was_saved_and_fills_the_staged_memory()
    {
        byte[] file = Save(ByName, Groups, Saved);
        var staged = new Dictionary<string, float[]>();
        var loaded = ByName.Load(new MemoryStream(file), Groups, Stager(staged));

        Assert.Equal(Groups.Select(g => g.Options), loaded.Options);
        Assert.Equal(new Dictionary<string, long> { ["w"] = 4, ["b"] = 3 }, loaded.Steps);
        Assert.Equal(7, loaded.SkippedSteps);
        Assert.Equal(["w.exp_avg", "w.exp_avg_sq", "b.exp_avg", "b.exp_avg_sq"], staged.Keys);
        foreach (var key in new[] { "w", "b" })
            foreach (var t in Saved(key)!.Tensors)
                Assert.Equal(t.Data.ToArray(), staged[$"{key}.{t.Name}"]);
    }

    [Fact]
    public void Names_are_listed_as_strings_and_indices_as_numbers_with_the_extra_group_keys()
    {
        var names = JsonDocument.Parse(Metadata(Save(ByName, Groups, Saved)).GetProperty("param_groups").GetString()!).RootElement;
        Assert.Equal("w", names[0].GetProperty("params")[0].GetString());
        Assert.False(names[0].TryGetProperty("initial_lr", out _));

        CheckpointGroup[] indexed =
        [
            new(Groups[0].Options, ["0", "1"], new Dictionary<string, double> { ["initial_lr"] = 0.5 }),
            new(Groups[1].Options, ["2"], new Dictionary<string, double> { ["initial_lr"] = 0.25 }),
        ];
        byte[] file = Save(ByIndex, indexed, Saved);
        var metadata = Metadata(file);
        Assert.Equal("test.indices/1", metadata.GetProperty("format").GetString());
        Assert.Equal("adamw", metadata.GetProperty("optimizer").GetString());
        var indices = JsonDocument.Parse(metadata.GetProperty("param_groups").GetString()!).RootElement;
        Assert.Equal([0, 1], indices[0].GetProperty("params").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(0.25, indices[1].GetProperty("initial_lr").GetDouble());

        var loaded = ByIndex.Load(new MemoryStream(file), indexed, Stager([]));
        Assert.Equal([0.5, 0.25], loaded.Extras.Select(e => e["initial_lr"]));
        Assert.Equal(Groups.Select(g => g.Options), loaded.Options);
    }

    [Fact]
    public void The_stager_learns_which_state_tensors_the_file_holds()
    {
        byte[] file = Save(ByName, Groups, Saved);
        var seen = new List<string>();
        ByName.Load<AdamWOptions>(new MemoryStream(file), Groups, (key, options, fileHasTensor) =>
        {
            seen.Add($"{key}:{fileHasTensor("exp_avg")}:{fileHasTensor("exp_avg_sq_row")}:{options.LearningRate}");
            return Stager([])(key, options, fileHasTensor);
        });
        Assert.Equal(["w:True:False:0.1", "b:True:False:0.2"], seen);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "format", "format 'test.names/1' is not test.indices/1" },
        { "optimizer", "it holds adamw state; this optimizer is lamb" },
        { "group count", "it has 2 param groups; this optimizer has 1" },
        { "membership", "param group 0 holds [w, v]; this optimizer's holds [w, u]" },
        { "shape", "tensor 'w.exp_avg' has shape [2, 3], expected [3, 2]" },
        { "missing tensor", "tensor 'w.exp_avg_row' is missing" },
        { "unclaimed tensor", "tensor 'w.exp_avg_sq' belongs to no parameter of this optimizer" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_checkpoint_for_another_optimizer_is_refused_before_any_memory_is_filled(string what, string message)
    {
        byte[] file = Save(ByName, Groups, Saved);
        var protocol = what == "format" ? new OptimizerCheckpoint("test.indices/1", ParameterKeys.Names) : ByName;
        IReadOnlyList<CheckpointGroup> groups = what switch
        {
            "optimizer" => [new(new LambOptions(), ["w", "v"]), new(new LambOptions(), ["b"])],
            "group count" => [Groups[0]],
            "membership" => [new(Groups[0].Options, ["w", "u"]), Groups[1]],
            _ => Groups,
        };
        var filled = new List<Memory<float>>();
        CheckpointStager<OptimizerOptions> stage = (key, _, _) =>
        {
            var tensors = Saved(key)!.Tensors.Select(t => what switch
            {
                "shape" => t with { Shape = [.. t.Shape.Reverse()] },
                "missing tensor" => t with { Name = t.Name + "_row" },
                "unclaimed tensor" when t.Name == "exp_avg_sq" => (CheckpointTensor?)null,
                _ => t,
            }).OfType<CheckpointTensor>().Select(t => t with { Data = new float[t.Data.Length] }).ToArray();
            filled.AddRange(tensors.Select(t => t.Data));
            return tensors;
        };

        var e = Assert.Throws<CheckpointException>(() => protocol.Load(new MemoryStream(file), groups, stage));
        Assert.Contains(message, e.Message);
        Assert.All(filled, data => Assert.All(data.ToArray(), x => Assert.Equal(0f, x)));
    }

    [Fact]
    public void A_saved_step_below_one_is_refused()
    {
        byte[] file = Save(ByName, Groups, key => Saved(key) is { } s ? s with { Step = 0 } : null);
        var e = Assert.Throws<CheckpointException>(() => ByName.Load(new MemoryStream(file), Groups, Stager([])));
        Assert.Contains("tensor 'w.step' holds step 0", e.Message);
    }

    [Fact]
    public void Save_needs_a_seekable_stream_and_every_extra_group_key()
    {
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream();
        Assert.Throws<ArgumentException>(() => ByName.Save(pipe, Groups, Saved, 0));
        var e = Assert.Throws<ArgumentException>(() => ByIndex.Save(new MemoryStream(), [new(Groups[0].Options, ["0"])], _ => null, 0));
        Assert.Contains("initial_lr", e.Message);
    }

    [Fact]
    public void Files_are_written_atomically_and_a_refusal_names_the_file()
    {
        string path = Path.Combine(folder, "p.safetensors");
        OptimizerCheckpoint.SaveFile(path, stream => ByName.Save(stream, Groups, Saved, 0));
        Assert.Equal(["p.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));

        var e = Assert.Throws<CheckpointException>(() =>
            OptimizerCheckpoint.LoadFile(path, stream => ByIndex.Load(stream, Groups, Stager([]))));
        Assert.StartsWith($"Checkpoint '{path}': format", e.Message);
        Assert.Throws<FileNotFoundException>(() => OptimizerCheckpoint.LoadFile(Path.Combine(folder, "none"), _ => { }));
    }
}
