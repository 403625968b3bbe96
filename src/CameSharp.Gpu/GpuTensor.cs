using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu;

/// <summary>
/// A float32 tensor in an accelerator's memory, as <see cref="GpuKernels"/> addresses it: a dense view the caller owns
/// (a parameter θ, its gradient g, or a state tensor such as m or v), its elements row-major.
/// </summary>
/// <param name="View">The elements; the view's memory belongs to the caller and must live as long as the tensor is used.</param>
public readonly record struct GpuTensor(ArrayView1D<float, Stride1D.Dense> View)
{
    /// <summary>Wraps a whole buffer.</summary>
    public GpuTensor(MemoryBuffer1D<float, Stride1D.Dense> buffer) : this((buffer ?? throw new ArgumentNullException(nameof(buffer))).View)
    {
    }

    /// <summary>The number of elements.</summary>
    public long Length => View.Length;

    /// <summary>The view as kernels take it.</summary>
    internal ArrayView<float> Elements => View.AsContiguous();
}
