using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CameSharp.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

/// <summary>
/// Checkpoints with the engine's guarantees: a safetensors file written atomically, checked entirely (names, shapes,
/// dtypes, layout, SHA-256) before anything changes. Tensors are named "{index}.{state}" by the parameter's position
/// in <c>parameters()</c>, as torch.optim state dicts number them.
/// </summary>
public abstract partial class CameSharpOptimizer<TEngineOptions>
{
    private const string Format = "camesharp.torchsharp/1";

    /// <summary>
    /// Saves the state atomically, as the engine's <see cref="Engine.Optimizer.Save(string)"/> does: a crash mid-write
    /// leaves the previous file intact and at most one temporary file beside it, which the next save to the same path removes.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder of <paramref name="path"/> cannot be written.</exception>
    /// <exception cref="IOException">The write failed (the disk is full, ...); the previous checkpoint is intact.</exception>
    public void Save(string path) => AtomicFile.Write(path, Save);

    /// <summary>Writes the state as safetensors to a seekable stream.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var tensors = new List<SafeTensorsTensor>();
        var groups = new JsonArray();
        int index = 0;
        string kind = "";
        foreach (var group in _parameter_groups)
        {
            var resolved = ToEngine(group.Options);
            kind = resolved.OptimizerName;
            var json = resolved.ToReference();
            var ids = new JsonArray();
            foreach (var p in group.Parameters)
            {
                ids.Add(index);
                var state = (TensorState)_state[p.Handle];
                if (state.step > 0)
                {
                    foreach (var name in state.Names)
                    {
                        using var cpu = state[name].detach().cpu().contiguous();
                        tensors.Add(new($"{index}.{name}", cpu.shape.Select(d => (int)d).ToArray(), cpu.data<float>().ToArray(), null));
                    }
                    tensors.Add(new($"{index}.step", [], ReadOnlyMemory<float>.Empty, state.step));
                }
                index++;
            }
            json.Insert(0, "params", ids);
            json["initial_lr"] = group.Options.InitialLearningRate;
            groups.Add(json);
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["optimizer"] = kind,
            ["param_groups"] = groups.ToJsonString(),
            ["skipped_steps"] = SkippedSteps.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(stream, metadata, tensors);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save(string)"/> for the same optimizer over parameters of the same groups
    /// and shapes. On any mismatch, truncation or corruption it throws <see cref="CheckpointException"/> and nothing changes.
    /// </summary>
    public void Load(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Load(file);
        }
        catch (CheckpointException e)
        {
            throw new CheckpointException($"Checkpoint '{path}': {e.Message}", e.InnerException);
        }
    }

    /// <summary>Loads a checkpoint from a stream; see <see cref="Load(string)"/>.</summary>
    public void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (metadata, entries, header) = SafeTensorsFile.ReadHeader(stream);
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v : throw new CheckpointException($"metadata '{key}' is missing.");
        if (Meta("format") != Format) throw new CheckpointException($"format '{Meta("format")}' is not {Format}.");
        string kind = ToEngine(_parameter_groups[0].Options).OptimizerName;
        if (Meta("optimizer") != kind) throw new CheckpointException($"it holds {Meta("optimizer")} state; this optimizer is {kind}.");
        if (!long.TryParse(Meta("skipped_steps"), NumberStyles.None, CultureInfo.InvariantCulture, out long skipped))
            throw new CheckpointException($"skipped_steps '{Meta("skipped_steps")}' is not a count.");
        var (options, initialRates) = ParseGroups(Meta("param_groups"), kind);

        // Stage every tensor the file holds in arrays shaped as this optimizer's state; nothing changes until all is verified.
        var byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var floats = new Dictionary<string, (float[] Data, long[] Shape)>(StringComparer.Ordinal);
        var steps = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var states = _parameter_groups.SelectMany(g => g.Parameters).Select(p => (TensorState)_state[p.Handle]).ToArray();
        for (int i = 0; i < states.Length; i++)
        {
            if (!byName.TryGetValue($"{i}.step", out var step)) continue;
            step.Expect("I64", []);
            steps[step.Name] = new long[1];
            foreach (var name in states[i].Names)
            {
                string key = $"{i}.{name}";
                var shape = states[i][name].shape;
                if (!byName.TryGetValue(key, out var entry)) throw new CheckpointException($"tensor '{key}' is missing.");
                entry.Expect("F32", shape);
                floats[key] = (new float[shape.Aggregate(1L, (a, b) => a * b)], shape);
            }
        }
        foreach (var e in entries)
            if (!floats.ContainsKey(e.Name) && !steps.ContainsKey(e.Name))
                throw new CheckpointException($"tensor '{e.Name}' belongs to no parameter of this optimizer.");
        SafeTensorsFile.ReadData(stream, header, Meta(SafeTensorsFile.ChecksumKey), entries, entry =>
            floats.TryGetValue(entry.Name, out var f) ? MemoryMarshal.AsBytes(f.Data.AsSpan()) : MemoryMarshal.AsBytes(steps[entry.Name].AsSpan()));
        foreach (var (name, value) in steps)
            if (value[0] < 1) throw new CheckpointException($"tensor '{name}' holds step {value[0]}; a saved state has taken at least one step.");

        using var noGrad = torch.no_grad();
        for (int i = 0; i < states.Length; i++)
        {
            bool saved = steps.TryGetValue($"{i}.step", out var step);
            foreach (var name in states[i].Names)
            {
                if (saved)
                {
                    var (data, shape) = floats[$"{i}.{name}"];
                    using var source = torch.tensor(data).reshape(shape);
                    states[i][name].copy_(source);
                }
                else states[i][name].zero_();
            }
            states[i].step = saved ? step![0] : 0;
        }
        for (int g = 0; g < _parameter_groups.Count; g++)
        {
            WriteBack(options[g], _parameter_groups[g].Options);
            _parameter_groups[g].Options.InitialLearningRate = initialRates[g];
        }
        SkippedSteps = skipped;
    }

    private (TEngineOptions[] Options, double[] InitialRates) ParseGroups(string json, string kind)
    {
        try
        {
            var array = JsonNode.Parse(json)!.AsArray();
            if (array.Count != _parameter_groups.Count)
                throw new CheckpointException($"it has {array.Count} param groups; this optimizer has {_parameter_groups.Count}.");
            var options = new TEngineOptions[array.Count];
            var rates = new double[array.Count];
            int index = 0;
            for (int g = 0; g < array.Count; g++)
            {
                var group = array[g]!.AsObject().DeepClone().AsObject();
                var ids = group["params"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
                int count = _parameter_groups[g].Parameters.Count();
                if (!ids.SequenceEqual(Enumerable.Range(index, count)))
                    throw new CheckpointException($"param group {g} holds parameters [{string.Join(", ", ids)}]; this optimizer's holds {count} from {index}.");
                index += count;
                rates[g] = group["initial_lr"]!.GetValue<double>();
                group.Remove("params");
                group.Remove("initial_lr");
                options[g] = (TEngineOptions)Engine.OptimizerOptions.FromReference(kind, group);
            }
            return (options, rates);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"param_groups is not valid: {e.Message}", e);
        }
    }
}
