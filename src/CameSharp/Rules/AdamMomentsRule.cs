namespace CameSharp;

/// <summary>
/// What AdamW and LAMB share: Adam's two full moments, exp_avg (m) and exp_avg_sq (v), each of the parameter's shape
/// (8 bytes of state per element), and a gradient that is usable when it is finite.
/// </summary>
public abstract class AdamMomentsRule<TOptions> : UpdateRule<TOptions> where TOptions : OptimizerOptions
{
    /// <inheritdoc/>
    public sealed override IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, TOptions options) =>
        [new("exp_avg", shape.ToArray()), new("exp_avg_sq", shape.ToArray())];

    /// <inheritdoc/>
    public sealed override TScalar Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> kernels, TensorStep<TTensor, TScalar> tensor, TOptions options,
        long step) => kernels.IsUsable(tensor.Gradient);
}
