using System.Numerics.Tensors;

namespace CameSharp.Kernels;

/// <summary>
/// Checks that a gradient can be used: every element finite and its square finite in float32 (a larger
/// value would turn the second moment into infinity just the same).
/// </summary>
internal sealed class GradientScanJob : FlatJob
{
    private Memory<float> grad;
    private double[] sums = [];

    public bool IsUsable(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient)
    {
        grad = gradient;
        sums = workspace.ChunkSums;
        Execute(runner, gradient.Length);
        for (int c = 0; c < Layout.ChunkCount; c++)
        {
            float max = (float)sums[2 * c];
            if (!float.IsFinite(max * max)) return false;
        }
        return true;
    }

    protected override void ProcessRange(int chunk, int start, int count) =>
        // MaxMagnitude returns NaN when any element is NaN, so one number answers for the chunk.
        sums[2 * chunk] = TensorPrimitives.MaxMagnitude(grad.Span.Slice(start, count));
}
