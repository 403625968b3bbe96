using System.Numerics.Tensors;

namespace CameSharp.Kernels;

/// <summary>
/// Whether a gradient can be used: every element finite and its square finite in float32 (a larger value would turn
/// the second moment into infinity just the same).
/// </summary>
internal sealed class GradientScan : ChunkJob
{
    private FlatLayout layout;
    private Memory<float> grad;
    private double[] maxima = [];

    public bool IsUsable(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient)
    {
        layout = new FlatLayout(gradient.Length);
        grad = gradient;
        maxima = workspace.ChunkSums;
        runner.Run(this, layout.ChunkCount);
        for (int c = 0; c < layout.ChunkCount; c++)
        {
            float max = (float)maxima[2 * c];
            if (!float.IsFinite(max * max)) return false;
        }
        return true;
    }

    public override void Run(int chunk)
    {
        var (start, count) = layout.Range(chunk);
        // MaxMagnitude returns NaN when any element is NaN, so one number answers for the chunk.
        maxima[2 * chunk] = TensorPrimitives.MaxMagnitude(grad.Span.Slice(start, count));
    }
}
