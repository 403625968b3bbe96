using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace CameSharp.Checkpoints;

/// <summary>
/// The checkpoint protocol every CameSharp optimizer uses: a safetensors file of float32 state tensors named
/// "{parameter key}.{state}" and int64 "{parameter key}.step" scalars, with metadata <c>format</c>, <c>optimizer</c>,
/// <c>param_groups</c> (each group's members and hyperparameters under the reference names, as JSON) and
/// <c>skipped_steps</c>, and a SHA-256 over all of it. A load checks everything (metadata, group membership, names,
/// shapes, dtypes, the layout of the data, the checksum) before it returns, and changes nothing of the optimizer: the
/// caller commits what it returns. The caller says what a parameter's key is and where its staged state goes.
/// </summary>
public sealed class OptimizerCheckpoint
{
    /// <summary>Creates the protocol for one file format.</summary>
    /// <param name="format">The <c>format</c> metadata the files carry; a load refuses any other.</param>
    /// <param name="keys">What parameter keys are, and so how <c>param_groups</c> lists a group's members.</param>
    /// <param name="groupExtras">Numeric keys each group records beside its hyperparameters (the adapter's <c>initial_lr</c>).</param>
    public OptimizerCheckpoint(string format, ParameterKeys keys, params IReadOnlyList<string> groupExtras)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        if (!Enum.IsDefined(keys)) throw new ArgumentOutOfRangeException(nameof(keys), keys, "must be Names or Indices.");
        ArgumentNullException.ThrowIfNull(groupExtras);
        Format = format;
        Keys = keys;
        GroupExtras = groupExtras.ToArray();
    }

    /// <summary>The <c>format</c> metadata of the files.</summary>
    public string Format { get; }

    /// <summary>What parameter keys are.</summary>
    public ParameterKeys Keys { get; }

    /// <summary>The numeric keys each group records beside its hyperparameters.</summary>
    public IReadOnlyList<string> GroupExtras { get; }

    /// <summary>
    /// Writes <paramref name="path"/> atomically: the bytes go to a temporary file in the same folder
    /// (<c>.{file name}.{id}.tmp</c>), are flushed to disk, and only then replace the file, so a crash mid-write leaves
    /// the previous checkpoint intact; the next save to the same path removes a killed save's temporary file.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="save">Writes the checkpoint to the (seekable) stream it is given.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder of <paramref name="path"/> cannot be written.</exception>
    /// <exception cref="IOException">The write failed (the disk is full, ...); the previous checkpoint is intact.</exception>
    public static void SaveFile(string path, Action<Stream> save) => AtomicFile.Write(path, save);

    /// <summary>Reads <paramref name="path"/>, naming it in any <see cref="CheckpointException"/> that <paramref name="load"/> throws.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="load">Loads the checkpoint from the stream it is given.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointException">The checkpoint is refused; the message names the file and what is wrong.</exception>
    public static void LoadFile(string path, Action<Stream> load)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(load);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            load(file);
        }
        catch (CheckpointException e)
        {
            throw new CheckpointException($"Checkpoint '{path}': {e.Message}", e.InnerException);
        }
    }

    /// <summary>Writes a checkpoint to a seekable stream.</summary>
    /// <param name="stream">Where to write; it must be writable and seekable (the checksum is written last, into the header).</param>
    /// <param name="groups">The optimizer's param groups, in order; the first names the optimizer.</param>
    /// <param name="stateOf">A parameter's state by key, or null for one that has none yet; asked in group order.</param>
    /// <param name="skippedSteps">Steps skipped for non-finite gradients.</param>
    /// <param name="afterTensorWritten">Called after each tensor's bytes are written, with the data bytes written so far.</param>
    public void Save(Stream stream, IReadOnlyList<CheckpointGroup> groups, Func<string, CheckpointState?> stateOf, long skippedSteps,
        Action<long>? afterTensorWritten = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanWrite) throw new ArgumentException("the stream must be writable and seekable.", nameof(stream));
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(stateOf);
        if (groups.Count == 0) throw new ArgumentException("at least one param group is required.", nameof(groups));
        var tensors = new List<SafeTensorsTensor>();
        var json = new JsonArray();
        foreach (var group in groups)
        {
            foreach (var key in group.Keys)
            {
                if (stateOf(key) is not { } state) continue;
                foreach (var t in state.Tensors) tensors.Add(new($"{key}.{t.Name}", t.Shape, t.Data, null, t.IsCodes));
                tensors.Add(new($"{key}.step", [], ReadOnlyMemory<float>.Empty, state.Step));
            }
            var entry = group.Options.ToReference();
            entry.Insert(0, "params", Members(group.Keys));
            foreach (var extra in GroupExtras)
                entry[extra] = group.Extras is not null && group.Extras.TryGetValue(extra, out double value)
                    ? value
                    : throw new ArgumentException($"a param group has no value for '{extra}'.", nameof(groups));
            json.Add(entry);
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["optimizer"] = groups[0].Options.OptimizerName,
            ["param_groups"] = json.ToJsonString(),
            ["skipped_steps"] = skippedSteps.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(stream, metadata, tensors, afterTensorWritten);
    }

    /// <summary>
    /// Reads and verifies a checkpoint for the optimizer whose groups are <paramref name="groups"/>: the same format,
    /// optimizer and group membership, and for each parameter with a saved step exactly the tensors
    /// <paramref name="stage"/> asks for, which are read into the memory it gives. On any mismatch, truncation or
    /// corruption this throws <see cref="CheckpointException"/> before returning anything; the optimizer commits what
    /// it returns.
    /// </summary>
    /// <typeparam name="TOptions">The optimizer's options type.</typeparam>
    /// <param name="stream">The checkpoint.</param>
    /// <param name="groups">The optimizer's param groups as they are: the first names the optimizer, and each gives its members' keys.</param>
    /// <param name="stage">Supplies a parameter's state tensors and where they are read to.</param>
    /// <exception cref="CheckpointException">The checkpoint is refused; the message says why.</exception>
    public LoadedCheckpoint<TOptions> Load<TOptions>(Stream stream, IReadOnlyList<CheckpointGroup> groups, CheckpointStager<TOptions> stage)
        where TOptions : OptimizerOptions
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(stage);
        if (groups.Count == 0) throw new ArgumentException("at least one param group is required.", nameof(groups));
        var (metadata, entries, header) = SafeTensorsFile.ReadHeader(stream);
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v : throw new CheckpointException($"metadata '{key}' is missing.");

        if (Meta("format") != Format) throw new CheckpointException($"format '{Meta("format")}' is not {Format}.");
        string kind = groups[0].Options.OptimizerName;
        if (Meta("optimizer") != kind) throw new CheckpointException($"it holds {Meta("optimizer")} state; this optimizer is {kind}.");
        if (!long.TryParse(Meta("skipped_steps"), NumberStyles.None, CultureInfo.InvariantCulture, out long skipped))
            throw new CheckpointException($"skipped_steps '{Meta("skipped_steps")}' is not a count.");
        var (options, extras) = ParseGroups<TOptions>(Meta("param_groups"), kind, groups);

        // Map each tensor of the file to the staged memory it fills; a tensor nothing asks for is refused.
        var byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var targets = new Dictionary<string, (Memory<float> Data, int Bytes)>(StringComparer.Ordinal);
        var steps = new Dictionary<string, (string Key, long[] Value)>(StringComparer.Ordinal);
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (var key in groups[g].Keys)
            {
                if (!byName.TryGetValue($"{key}.step", out var step)) continue;
                step.Expect("I64", []);
                steps[step.Name] = (key, new long[1]);
                foreach (var t in stage(key, options[g], state => byName.ContainsKey($"{key}.{state}")))
                {
                    string name = $"{key}.{t.Name}";
                    if (!byName.TryGetValue(name, out var entry)) throw new CheckpointException(Missing(key, t, byName.ContainsKey));
                    entry.Expect(t.IsCodes ? "U8" : "F32", t.Shape.Select(d => (long)d));
                    long elements = t.Shape.Aggregate(1L, (a, b) => a * b);
                    targets[name] = (t.Data, checked((int)(t.IsCodes ? elements : 4 * elements)));
                }
            }
        }
        foreach (var e in entries)
            if (!targets.ContainsKey(e.Name) && !steps.ContainsKey(e.Name))
                throw new CheckpointException($"tensor '{e.Name}' belongs to no parameter of this optimizer.");

        SafeTensorsFile.ReadData(stream, header, Meta(SafeTensorsFile.ChecksumKey), entries, entry =>
            targets.TryGetValue(entry.Name, out var target)
                ? MemoryMarshal.AsBytes(target.Data.Span)[..target.Bytes]
                : MemoryMarshal.AsBytes(steps[entry.Name].Value.AsSpan()));
        var stepCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, (key, value)) in steps)
        {
            if (value[0] < 1) throw new CheckpointException($"tensor '{name}' holds step {value[0]}; a saved state has taken at least one step.");
            stepCounts[key] = value[0];
        }
        return new LoadedCheckpoint<TOptions>(options, extras, stepCounts, skipped);
    }

    /// <summary>
    /// Why a state tensor the optimizer expects is missing: most often the file was saved in the other
    /// <see cref="StateFormat"/> (it holds exp_avg where exp_avg_codes is expected, or the reverse), which is said by name.
    /// </summary>
    private static string Missing(string key, CheckpointTensor t, Func<string, bool> fileHas)
    {
        string other = t.IsCodes ? t.Name[..^StateTensorSpec.CodesSuffix.Length] : t.Name + StateTensorSpec.CodesSuffix;
        if (!fileHas($"{key}.{other}")) return $"tensor '{key}.{t.Name}' is missing.";
        var (saved, expected) = t.IsCodes ? (StateFormat.Float32, StateFormat.Blockwise8Bit) : (StateFormat.Blockwise8Bit, StateFormat.Float32);
        return $"tensor '{key}.{t.Name}' is missing: the file holds '{key}.{other}', state saved with StateFormat {saved}; " +
               $"this optimizer's StateFormat is {expected}.";
    }

    /// <summary>A group's members as <c>param_groups</c> lists them.</summary>
    private JsonArray Members(IEnumerable<string> keys) => new(keys.Select(key => Keys == ParameterKeys.Indices
        ? JsonValue.Create(int.Parse(key, NumberStyles.None, CultureInfo.InvariantCulture))
        : (JsonNode)JsonValue.Create(key)).ToArray());

    private (TOptions[] Options, IReadOnlyDictionary<string, double>[] Extras) ParseGroups<TOptions>(
        string json, string kind, IReadOnlyList<CheckpointGroup> groups)
        where TOptions : OptimizerOptions
    {
        try
        {
            var array = JsonNode.Parse(json)?.AsArray() ?? throw new CheckpointException("param_groups is empty.");
            if (array.Count != groups.Count)
                throw new CheckpointException($"it has {array.Count} param groups; this optimizer has {groups.Count}.");
            var options = new TOptions[groups.Count];
            var extras = new IReadOnlyDictionary<string, double>[groups.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                var group = array[g]!.AsObject().DeepClone().AsObject();
                var members = group["params"]!.AsArray();
                var expected = Members(groups[g].Keys);
                if (!JsonNode.DeepEquals(members, expected))
                    throw new CheckpointException($"param group {g} holds {List(members)}; this optimizer's holds {List(expected)}.");
                group.Remove("params");
                var values = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var extra in GroupExtras)
                {
                    values[extra] = group[extra]!.GetValue<double>();
                    group.Remove(extra);
                }
                extras[g] = values;
                options[g] = (TOptions)OptimizerOptions.FromReference(kind, group);
            }
            return (options, extras);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"param_groups is not valid: {e.Message}", e);
        }
    }

    private static string List(JsonArray members) => $"[{string.Join(", ", members.Select(m => m?.ToString()))}]";
}
