namespace CameSharp.Checkpoints;

/// <summary>
/// A checkpoint read and verified by <see cref="OptimizerCheckpoint.Load{TOptions}"/>: everything but the tensors, which
/// are already in the memory the stager gave. The caller commits all of it to the optimizer; nothing here can fail.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options type.</typeparam>
public sealed class LoadedCheckpoint<TOptions> where TOptions : OptimizerOptions
{
    internal LoadedCheckpoint(TOptions[] options, IReadOnlyDictionary<string, double>[] extras, Dictionary<string, long> steps, long skippedSteps)
    {
        Options = options;
        Extras = extras;
        Steps = steps;
        SkippedSteps = skippedSteps;
    }

    /// <summary>Each group's hyperparameters, in group order.</summary>
    public IReadOnlyList<TOptions> Options { get; }

    /// <summary>Each group's extra keys (<see cref="OptimizerCheckpoint.GroupExtras"/>) and their values, in group order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Extras { get; }

    /// <summary>The step count of each parameter the file holds state for, by key; a parameter absent here has no state.</summary>
    public IReadOnlyDictionary<string, long> Steps { get; }

    /// <summary>Steps skipped for non-finite gradients (see <see cref="Optimizer.SkippedSteps"/>).</summary>
    public long SkippedSteps { get; }
}
