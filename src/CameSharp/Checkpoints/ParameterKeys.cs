namespace CameSharp.Checkpoints;

/// <summary>How an <see cref="OptimizerCheckpoint"/> keys each parameter's state, and so how it lists a group's members in <c>param_groups</c>.</summary>
public enum ParameterKeys
{
    /// <summary>Keys are parameter names, listed as JSON strings (the engine's checkpoints).</summary>
    Names,

    /// <summary>
    /// Keys are positions in the optimizer's parameter order, as decimal strings, listed as JSON numbers: torch.optim state
    /// dicts number parameters this way (the TorchSharp adapter's checkpoints).
    /// </summary>
    Indices,
}
