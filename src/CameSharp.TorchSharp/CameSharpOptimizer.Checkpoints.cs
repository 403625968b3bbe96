using System.Globalization;
using CameSharp.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>
/// Checkpoints through the engine's <see cref="OptimizerCheckpoint"/>: a safetensors file written atomically, checked
/// entirely (names, shapes, dtypes, layout, SHA-256) before anything changes. Each parameter's state is keyed by its
/// position in <c>parameters()</c>, as torch.optim state dicts number them, and each group also records its
/// <c>initial_lr</c>, which LR schedulers start from.
/// </summary>
public abstract partial class CameSharpOptimizer<TEngineOptions>
{
    private const string InitialLearningRate = "initial_lr";
    private static readonly OptimizerCheckpoint Checkpoint = new("camesharp.torchsharp/1", ParameterKeys.Indices, InitialLearningRate);

    /// <summary>
    /// Saves the state atomically, as the engine's <see cref="Engine.Optimizer.Save(string)"/> does: a crash mid-write
    /// leaves the previous file intact and at most one temporary file beside it, which the next save to the same path removes.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder of <paramref name="path"/> cannot be written.</exception>
    /// <exception cref="IOException">The write failed (the disk is full, ...); the previous checkpoint is intact.</exception>
    public void Save(string path) => OptimizerCheckpoint.SaveFile(path, Save);

    /// <summary>Writes the state as safetensors to a seekable stream.</summary>
    public void Save(Stream stream)
    {
        var states = CheckpointStates();
        Checkpoint.Save(stream, CheckpointGroups(), key =>
        {
            var state = states[int.Parse(key, CultureInfo.InvariantCulture)];
            if (state.step == 0) return null;
            var tensors = state.Names.Select(name =>
            {
                using var cpu = state[name].detach().cpu().contiguous();
                int[] shape = cpu.shape.Select(d => (int)d).ToArray();
                var encoding = state.EncodingOf(name);
                return encoding == StateEncoding.Float32
                    ? new CheckpointTensor(name, shape, cpu.data<float>().ToArray())
                    : new CheckpointTensor(name, shape, Pack(cpu.data<byte>().ToArray()), encoding);
            });
            return new CheckpointState(state.step, tensors.ToArray());
        }, SkippedSteps);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save(string)"/> for the same optimizer over parameters of the same groups
    /// and shapes. On any mismatch, truncation or corruption it throws <see cref="CheckpointException"/> and nothing changes.
    /// </summary>
    public void Load(string path) => OptimizerCheckpoint.LoadFile(path, Load);

    /// <summary>Loads a checkpoint from a stream; see <see cref="Load(string)"/>.</summary>
    public void Load(Stream stream)
    {
        // The file is read into arrays shaped as this optimizer's state, and copied into its tensors once all is verified.
        var states = CheckpointStates();
        var staged = new Dictionary<(string Key, string Name), (float[] Data, long[] Shape, StateEncoding Encoding)>();
        var loaded = Checkpoint.Load<TEngineOptions>(stream, CheckpointGroups(), (key, _, _) =>
        {
            var state = states[int.Parse(key, CultureInfo.InvariantCulture)];
            return state.Names.Select(name =>
            {
                var shape = state[name].shape;
                var encoding = state.EncodingOf(name);
                long elements = shape.Aggregate(1L, (a, b) => a * b);
                var data = new float[encoding == StateEncoding.Float32 ? elements : (elements + 3) / 4];
                staged[(key, name)] = (data, shape, encoding);
                return new CheckpointTensor(name, shape.Select(d => (int)d).ToArray(), data, encoding);
            }).ToArray();
        });

        using var noGrad = torch.no_grad();
        for (int i = 0; i < states.Length; i++)
        {
            var state = states[i];
            string key = i.ToString(CultureInfo.InvariantCulture);
            bool saved = loaded.Steps.TryGetValue(key, out long step);
            foreach (var name in state.Names)
            {
                if (saved)
                {
                    var (data, shape, encoding) = staged[(key, name)];
                    using var source = encoding == StateEncoding.Float32
                        ? torch.tensor(data).reshape(shape)
                        : torch.tensor(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())[..(int)shape.Aggregate(1L, (a, b) => a * b)].ToArray()).reshape(shape);
                    state[name].copy_(source);
                }
                else state[name].zero_();
            }
            state.step = step;
        }
        for (int g = 0; g < _parameter_groups.Count; g++)
        {
            WriteBack(loaded.Options[g], _parameter_groups[g].Options);
            _parameter_groups[g].Options.InitialLearningRate = loaded.Extras[g][InitialLearningRate];
        }
        SkippedSteps = loaded.SkippedSteps;
    }

    /// <summary>Codes packed four to a float32 word, as <see cref="CheckpointTensor"/> holds them.</summary>
    private static float[] Pack(byte[] codes)
    {
        var words = new float[(codes.Length + 3) / 4];
        codes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        return words;
    }

    /// <summary>Every parameter's state, in the order of <c>parameters()</c>: a state's index is its key.</summary>
    private TensorState[] CheckpointStates() =>
        _parameter_groups.SelectMany(g => g.Parameters).Select(p => (TensorState)_state[p.Handle]).ToArray();

    private CheckpointGroup[] CheckpointGroups()
    {
        var groups = new CheckpointGroup[_parameter_groups.Count];
        int index = 0;
        for (int g = 0; g < groups.Length; g++)
        {
            var group = _parameter_groups[g];
            var keys = group.Parameters.Select(_ => (index++).ToString(CultureInfo.InvariantCulture)).ToArray();
            var extras = new Dictionary<string, double> { [InitialLearningRate] = group.Options.InitialLearningRate };
            groups[g] = new CheckpointGroup(ToEngine(group.Options), keys, extras);
        }
        return groups;
    }
}
