namespace CameSharp.Checkpoints;

/// <summary>What a checkpoint saves of one parameter: its step count and its state tensors.</summary>
/// <param name="Step">Steps the parameter has taken, at least 1 (a parameter without steps has no state to save).</param>
/// <param name="Tensors">The state tensors, in the order the file lists them.</param>
public sealed record CheckpointState(long Step, IReadOnlyList<CheckpointTensor> Tensors);
