namespace CameSharp;

/// <summary>
/// What AdamW and LAMB share: Adam's two full moments, exp_avg (m) and exp_avg_sq (v), each of the parameter's shape
/// (8 bytes of state per element), and a gradient that is usable when it is finite.
/// </summary>
public abstract class AdamMomentsRule<TOptions> : UpdateRule<TOptions> where TOptions : OptimizerOptions
{
    /// <inheritdoc/>
    /// <remarks>Both moments are flat: in 8 bits their blocks run over the flattened tensor.</remarks>
    public sealed override IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, TOptions options, StateFormat format = StateFormat.Float32)
    {
        int length = shape.ToArray().Aggregate(1, (a, b) => checked(a * b));
        return [.. StateTensorSpec.FullSize("exp_avg", shape, format, signed: true, Math.Max(1, length)),
            .. StateTensorSpec.FullSize("exp_avg_sq", shape, format, signed: false, Math.Max(1, length))];
    }

    /// <inheritdoc/>
    public sealed override TScalar Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> kernels, TensorStep<TTensor, TScalar> tensor, TOptions options,
        long step) => kernels.IsUsable(tensor.Gradient);
}
