namespace CameSharp.Checkpoints;

/// <summary>One param group of the optimizer that saves or loads a checkpoint, as the checkpoint records it.</summary>
/// <param name="Options">The group's hyperparameters; saved under the reference names, and on load they name the optimizer the file must be for.</param>
/// <param name="Keys">The keys of the group's parameters, in order (see <see cref="ParameterKeys"/>); a load refuses a file whose group holds others.</param>
/// <param name="Extras">
/// The values of the checkpoint's extra per-group keys (<see cref="OptimizerCheckpoint.GroupExtras"/>), saved beside the
/// hyperparameters; not read by a load, which returns the file's.
/// </param>
public sealed record CheckpointGroup(OptimizerOptions Options, IReadOnlyList<string> Keys, IReadOnlyDictionary<string, double>? Extras = null);
