using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using CameSharp.Checkpoints;

namespace CameSharp.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("camesharp-ckpt-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void Resuming_from_a_checkpoint_is_bitwise_identical_to_never_stopping(string name)
    {
        const int n = 9, k = 4;
        using var straight = new CheckpointFixture(name);
        straight.Run(0, n);

        using var first = new CheckpointFixture(name);
        first.Run(0, k);
        string path = Path.Combine(folder, "opt.safetensors");
        first.Optimizer.Save(path);

        using var resumed = new CheckpointFixture(name, first.W.Data.ToArray(), first.B.Data.ToArray(), first.V.Data.ToArray());
        resumed.Optimizer.Load(path);
        resumed.Run(k, n);

        Assert.Equal(straight.Fingerprint(), resumed.Fingerprint());
    }

    [Fact]
    public void The_file_is_plain_safetensors_under_the_official_state_names()
    {
        using var f = new CheckpointFixture("came");
        f.Run(0, 2);
        string path = Path.Combine(folder, "came.safetensors");
        f.Optimizer.Save(path);

        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").ToHashSet();
        string[] expected =
        [
            "layer.weight.exp_avg", "layer.weight.exp_avg_sq_row", "layer.weight.exp_avg_sq_col",
            "layer.weight.exp_avg_res_row", "layer.weight.exp_avg_res_col", "layer.weight.step",
            "conv.exp_avg", "conv.exp_avg_sq_row", "conv.exp_avg_sq_col", "conv.exp_avg_res_row", "conv.exp_avg_res_col", "conv.step",
            "layer.bias.exp_avg", "layer.bias.exp_avg_sq", "layer.bias.step",
        ];
        Assert.Equal(expected.ToHashSet(), names);

        var row = header.RootElement.GetProperty("conv.exp_avg_sq_row");
        Assert.Equal("F32", row.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], row.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        var col = header.RootElement.GetProperty("conv.exp_avg_sq_col");
        Assert.Equal([2, 4], col.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));

        var step = header.RootElement.GetProperty("layer.weight.step");
        Assert.Equal("I64", step.GetProperty("dtype").GetString());
        long stepAt = 8 + headerLength + step.GetProperty("data_offsets")[0].GetInt64();
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)stepAt)));

        var expAvg = header.RootElement.GetProperty("layer.weight.exp_avg");
        long at = 8 + headerLength + expAvg.GetProperty("data_offsets")[0].GetInt64();
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)at, 30 * 4)).ToArray();
        var state = ((Came)f.Optimizer).States[f.W].Tensors.Single(t => t.Name == "exp_avg").Data.ToArray();
        Assert.Equal(state, values);

        var meta = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("came", meta.GetProperty("optimizer").GetString());
        var groups = JsonDocument.Parse(meta.GetProperty("param_groups").GetString()!).RootElement;
        Assert.Equal(0.005, groups[1].GetProperty("lr").GetDouble());
        Assert.Equal("layer.bias", groups[1].GetProperty("params")[0].GetString());
    }

    [Fact]
    public void Loading_restores_group_hyperparameters_and_skipped_steps()
    {
        using var saved = new CheckpointFixture("adamw");
        saved.Optimizer.NonFinitePolicy = NonFinitePolicy.SkipStep;
        saved.Run(0, 2);
        saved.W.Grad = Enumerable.Repeat(float.NaN, saved.W.Length).ToArray();
        saved.Optimizer.Step();
        string path = Path.Combine(folder, "a.safetensors");
        saved.Optimizer.Save(path);

        using var loaded = new CheckpointFixture("adamw");
        ((AdamW)loaded.Optimizer).ParamGroups[0].Options = new AdamWOptions { LearningRate = 0.5 };
        loaded.Optimizer.Load(path);
        Assert.Equal(saved.Options(), loaded.Options());
        Assert.Equal(1, loaded.Optimizer.SkippedSteps);
    }

    public static TheoryData<string, Func<Optimizer>, string> Mismatches => new()
    {
        { "another optimizer", () => new AdamW([new Parameter("layer.weight", new float[30], 6, 5)], new AdamWOptions()), "came" },
        { "another shape", () => Came(new Parameter("layer.weight", new float[30], 5, 6), new Parameter("layer.bias", new float[5]), new Parameter("conv", new float[24], 2, 3, 4)), "shape" },
        { "another name", () => Came(new Parameter("layer.w", new float[30], 6, 5), new Parameter("layer.bias", new float[5]), new Parameter("conv", new float[24], 2, 3, 4)), "param group 0" },
        { "one group", () => new Came([new Parameter("layer.weight", new float[30], 6, 5)], new CameOptions { LearningRate = 1 }), "param groups" },
    };

    private static Came Came(Parameter w, Parameter b, Parameter v) => new(
    [
        new ParamGroup<CameOptions>([w, v], new CameOptions { LearningRate = 1e-2 }),
        new ParamGroup<CameOptions>([b], new CameOptions { LearningRate = 1e-2 }),
    ]);

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void A_checkpoint_for_other_parameters_is_refused_and_changes_nothing(string what, Func<Optimizer> create, string message)
    {
        using var saved = new CheckpointFixture("came");
        saved.Run(0, 2);
        string path = Path.Combine(folder, "c.safetensors");
        saved.Optimizer.Save(path);

        using var other = create();
        foreach (var p in other.Parameters) p.Grad = OptimizerTests.Random(p.Length, 5);
        other.Step();
        long bytes = other.StateBytes;
        var before = OptimizerTests.StateValues(other).ToArray();
        var e = Assert.Throws<CheckpointException>(() => other.Load(path));
        Assert.Contains(message, e.Message);
        Assert.Contains(path, e.Message);
        Assert.Equal(before, OptimizerTests.StateValues(other).ToArray());
        Assert.Equal(bytes, other.StateBytes);
        _ = what;
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_checkpoint_intact_and_no_temporary_file()
    {
        using var f = new CheckpointFixture("came");
        f.Run(0, 2);
        string path = Path.Combine(folder, "atomic.safetensors");
        f.Optimizer.Save(path);
        byte[] previous = File.ReadAllBytes(path);

        f.Run(2, 4);
        f.Optimizer.AfterTensorWritten = written => throw new IOException($"disk gone after {written} bytes");
        Assert.Throws<IOException>(() => f.Optimizer.Save(path));
        f.Optimizer.AfterTensorWritten = null;

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["atomic.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));
        using var check = new CheckpointFixture("came");
        check.Optimizer.Load(path);
        Assert.Equal(2, OptimizerTests.StepCount(check.Optimizer, check.W));
    }

    [Fact]
    public void Saving_over_an_existing_checkpoint_replaces_it()
    {
        using var f = new CheckpointFixture("lamb");
        string path = Path.Combine(folder, "l.safetensors");
        f.Run(0, 1);
        f.Optimizer.Save(path);
        f.Run(1, 3);
        f.Optimizer.Save(path);
        using var check = new CheckpointFixture("lamb");
        check.Optimizer.Load(path);
        Assert.Equal(3, OptimizerTests.StepCount(check.Optimizer, check.W));
    }

    [Fact]
    public void A_missing_file_throws_FileNotFoundException()
    {
        using var f = new CheckpointFixture("came");
        Assert.Throws<FileNotFoundException>(() => f.Optimizer.Load(Path.Combine(folder, "none.safetensors")));
    }
}
