using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CameSharp.Checkpoints;

namespace CameSharp;

/// <summary>Saving and loading: the state as safetensors tensors named "{parameter}.{state}" plus metadata.</summary>
public abstract partial class Optimizer<TOptions>
{
    private const string Format = "camesharp.optimizer/1";

    /// <inheritdoc/>
    public override void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanWrite) throw new ArgumentException("the stream must be writable and seekable.", nameof(stream));
        var tensors = new List<SafeTensorsTensor>();
        foreach (var p in parameters)
        {
            if (!states.TryGetValue(p, out var state)) continue;
            foreach (var t in state.Tensors) tensors.Add(new($"{p.Name}.{t.Name}", t.Shape, t.Data, null));
            tensors.Add(new($"{p.Name}.step", [], ReadOnlyMemory<float>.Empty, state.Step));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["optimizer"] = groups[0].Options.OptimizerName,
            ["param_groups"] = GroupsJson(groups.Select(g => g.Options), groups.Select(g => g.ParameterArray)),
            ["skipped_steps"] = SkippedSteps.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(stream, metadata, tensors, AfterTensorWritten);
    }

    /// <inheritdoc/>
    public override void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (metadata, entries, header) = SafeTensorsFile.ReadHeader(stream);
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v : throw new CheckpointException($"metadata '{key}' is missing.");

        if (Meta("format") != Format) throw new CheckpointException($"format '{Meta("format")}' is not {Format}.");
        string kind = groups[0].Options.OptimizerName;
        if (Meta("optimizer") != kind) throw new CheckpointException($"it holds {Meta("optimizer")} state; this optimizer is {kind}.");
        if (!long.TryParse(Meta("skipped_steps"), NumberStyles.None, CultureInfo.InvariantCulture, out long skipped))
            throw new CheckpointException($"skipped_steps '{Meta("skipped_steps")}' is not a count.");
        var options = ParseGroups(Meta("param_groups"), kind);

        // Stage every parameter's state, and map each tensor of the file to the staged array it fills.
        var byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var staged = new Dictionary<Parameter, ParameterState>(ReferenceEqualityComparer.Instance);
        var targets = new Dictionary<string, Memory<float>>(StringComparer.Ordinal);
        var steps = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        for (int g = 0; g < groups.Length; g++)
        {
            foreach (var p in groups[g].ParameterArray)
            {
                if (!byName.TryGetValue($"{p.Name}.step", out var step)) continue;
                step.Expect("I64", []);
                steps[step.Name] = p;
                var state = CreateLoadedState(p, options[g], n => byName.ContainsKey($"{p.Name}.{n}"));
                foreach (var t in state.Tensors)
                {
                    string name = $"{p.Name}.{t.Name}";
                    if (!byName.TryGetValue(name, out var entry))
                        throw new CheckpointException($"tensor '{name}' is missing.");
                    entry.Expect("F32", t.Shape.Select(d => (long)d));
                    targets[name] = t.Data;
                }
                staged[p] = state;
            }
        }
        foreach (var e in entries)
            if (!targets.ContainsKey(e.Name) && !steps.ContainsKey(e.Name))
                throw new CheckpointException($"tensor '{e.Name}' belongs to no parameter of this optimizer.");

        var stepValues = steps.Keys.ToDictionary(name => name, _ => new long[1], StringComparer.Ordinal);
        SafeTensorsFile.ReadData(stream, header, Meta(SafeTensorsFile.ChecksumKey), entries, entry =>
            targets.TryGetValue(entry.Name, out var floats)
                ? MemoryMarshal.AsBytes(floats.Span)
                : MemoryMarshal.AsBytes(stepValues[entry.Name].AsSpan()));
        foreach (var (name, p) in steps)
        {
            long value = stepValues[name][0];
            if (value < 1) throw new CheckpointException($"tensor '{name}' holds step {value}; a saved state has taken at least one step.");
            staged[p].Step = value;
        }

        // Everything is verified: commit. Nothing below can fail.
        for (int g = 0; g < groups.Length; g++) groups[g].Options = options[g];
        states.Clear();
        foreach (var (p, s) in staged) states[p] = s;
        SkippedSteps = skipped;
    }

    private static string GroupsJson(IEnumerable<OptimizerOptions> options, IEnumerable<Parameter[]> members)
    {
        var array = new JsonArray();
        foreach (var (o, ps) in options.Zip(members))
        {
            var group = o.ToReference();
            group.Insert(0, "params", new JsonArray(ps.Select(p => (JsonNode)p.Name).ToArray()));
            array.Add(group);
        }
        return array.ToJsonString();
    }

    private TOptions[] ParseGroups(string json, string kind)
    {
        try
        {
            var array = JsonNode.Parse(json)?.AsArray() ?? throw new CheckpointException("param_groups is empty.");
            if (array.Count != groups.Length)
                throw new CheckpointException($"it has {array.Count} param groups; this optimizer has {groups.Length}.");
            var result = new TOptions[groups.Length];
            for (int g = 0; g < groups.Length; g++)
            {
                var group = array[g]!.AsObject().DeepClone().AsObject();
                var names = group["params"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
                var expected = groups[g].ParameterArray.Select(p => p.Name).ToArray();
                if (!names.SequenceEqual(expected))
                    throw new CheckpointException(
                        $"param group {g} holds [{string.Join(", ", names)}]; this optimizer's holds [{string.Join(", ", expected)}].");
                group.Remove("params");
                result[g] = (TOptions)OptimizerOptions.FromReference(kind, group);
            }
            return result;
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"param_groups is not valid: {e.Message}", e);
        }
    }
}
