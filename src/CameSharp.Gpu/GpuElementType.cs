namespace CameSharp.Gpu;

/// <summary>
/// The element type of a <see cref="GpuTensor"/> in accelerator memory. A parameter θ and its gradient g may be any of
/// these; state tensors (m, v, the row and column factors, the instability) are always <see cref="Float32"/>. Kernels load
/// each element, compute in float32 exactly as for a float32 tensor, and store θ back in its own type rounded to nearest,
/// ties to even, as the official code's upcast and <c>copy_</c> do, or, for a bfloat16 θ that asks for it
/// (<see cref="GpuTensor.WithStochasticRounding"/>), rounded stochastically.
/// </summary>
public enum GpuElementType
{
    /// <summary>IEEE 754 binary32: 4 bytes an element.</summary>
    Float32,

    /// <summary>bfloat16 (torch.bfloat16): float32's sign and 8-bit exponent with 7 mantissa bits; 2 bytes an element.</summary>
    BFloat16,

    /// <summary>IEEE 754 binary16 (torch.float16): 5-bit exponent, 10 mantissa bits, largest finite value 65504; 2 bytes an element.</summary>
    Float16,
}
