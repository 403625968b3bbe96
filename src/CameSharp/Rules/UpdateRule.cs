namespace CameSharp;

/// <summary>
/// One optimizer's algorithm for one tensor, written once over the passes of <see cref="IKernels{TTensor, TScalar}"/>:
/// what state it keeps (<see cref="StateLayout"/>), what it reads before anything changes (<see cref="Inspect"/>), and
/// the step itself (<see cref="Update"/>). Param groups, the non-finite policy and checkpoints belong to its callers:
/// the engine's <see cref="Optimizer{TOptions}"/> and the TorchSharp adapter. Rules hold no state of their own.
/// </summary>
/// <typeparam name="TOptions">The hyperparameters.</typeparam>
public abstract class UpdateRule<TOptions> where TOptions : OptimizerOptions
{
    /// <summary>
    /// The tensors a parameter of <paramref name="shape"/> keeps under <paramref name="options"/>, in order; its full-size
    /// states in <paramref name="format"/> (<see cref="StateTensorSpec.FullSize"/>).
    /// </summary>
    public abstract IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, TOptions options, StateFormat format = StateFormat.Float32);

    /// <summary>
    /// The layout a parameter takes when its state is loaded from a checkpoint that holds the tensors for which
    /// <paramref name="saved"/> is true. By default the same as <see cref="StateLayout"/>.
    /// </summary>
    public virtual IReadOnlyList<StateTensorSpec> LoadedStateLayout(ReadOnlySpan<int> shape, TOptions options, Func<string, bool> saved,
        StateFormat format = StateFormat.Float32) =>
        StateLayout(shape, options, format);

    /// <summary>
    /// Reads the gradient, before any parameter or state changes, and may leave statistics of it for
    /// <see cref="Update"/> in the scratch and <see cref="TensorStep{TTensor, TScalar}.Pending"/>. Returns the backend's
    /// verdict on the gradient (1 usable, 0 not: non-finite); the caller reads every tensor's verdict with
    /// <see cref="IKernels{TTensor, TScalar}.FirstRefused"/> and takes no step if any is 0.
    /// </summary>
    /// <param name="kernels">The backend.</param>
    /// <param name="tensor">The tensor's parameter, gradient and state.</param>
    /// <param name="options">Its group's hyperparameters.</param>
    /// <param name="step">t, the 1-based number of the step about to be taken.</param>
    public abstract TScalar Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> kernels, TensorStep<TTensor, TScalar> tensor, TOptions options, long step);

    /// <summary>Takes step <paramref name="step"/> (t, 1-based) after <see cref="Inspect"/> has accepted every gradient.</summary>
    public abstract void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> kernels, TensorStep<TTensor, TScalar> tensor, TOptions options, long step);
}
