using CameSharp.Checkpoints;

namespace CameSharp;

/// <summary>Saving and loading through <see cref="OptimizerCheckpoint"/>, each parameter's state keyed by its name.</summary>
public abstract partial class Optimizer<TOptions>
{
    private static readonly OptimizerCheckpoint Checkpoint = new("camesharp.optimizer/1", ParameterKeys.Names);

    /// <inheritdoc/>
    public override void Save(Stream stream)
    {
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        Checkpoint.Save(stream, CheckpointGroups(), name => states.TryGetValue(byName[name], out var state)
            ? new CheckpointState(state.Step, Tensors(state))
            : null, SkippedSteps, AfterTensorWritten);
    }

    /// <inheritdoc/>
    public override void Load(Stream stream)
    {
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var staged = new Dictionary<Parameter, ParameterState>(ReferenceEqualityComparer.Instance);
        var loaded = Checkpoint.Load<TOptions>(stream, CheckpointGroups(), (name, options, fileHasTensor) =>
        {
            var p = byName[name];
            var state = staged[p] = CreateLoadedState(p, options, fileHasTensor);
            return Tensors(state);
        });

        // Everything is verified: commit. Nothing below can fail.
        for (int g = 0; g < groups.Length; g++) groups[g].Options = loaded.Options[g];
        states.Clear();
        foreach (var (p, s) in staged)
        {
            s.Step = loaded.Steps[p.Name];
            states[p] = s;
        }
        SkippedSteps = loaded.SkippedSteps;
    }

    private CheckpointGroup[] CheckpointGroups() =>
        groups.Select(g => new CheckpointGroup(g.Options, g.ParameterArray.Select(p => p.Name).ToArray())).ToArray();

    private static CheckpointTensor[] Tensors(ParameterState state) =>
        state.Tensors.Select(t => new CheckpointTensor(t.Name, t.Shape, t.Data, t.Encoding)).ToArray();
}
