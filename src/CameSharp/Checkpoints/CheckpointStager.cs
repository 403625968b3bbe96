namespace CameSharp.Checkpoints;

/// <summary>
/// Supplies, for a parameter whose state the file holds, the tensors its loaded state will have and the memory each is
/// read into. Nothing staged is the optimizer's until the whole file is verified: the caller commits afterwards.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options type.</typeparam>
/// <param name="key">The parameter's key.</param>
/// <param name="options">The hyperparameters the file gives the parameter's group.</param>
/// <param name="fileHasTensor">Whether the file holds a state tensor of this parameter under a state name (for a state whose layout depends on the file).</param>
/// <returns>The state tensors the file must hold for this parameter, with the memory to fill.</returns>
public delegate IReadOnlyList<CheckpointTensor> CheckpointStager<in TOptions>(string key, TOptions options, Func<string, bool> fileHasTensor)
    where TOptions : OptimizerOptions;
