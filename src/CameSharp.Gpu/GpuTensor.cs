using System.Text;
using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu;

/// <summary>
/// A tensor in an accelerator's memory, as <see cref="GpuKernels"/> addresses it: a dense view the caller owns (a parameter
/// θ, its gradient g, or a state tensor such as m or v), its elements row-major, of one <see cref="GpuElementType"/>.
/// θ and g may be float32, bfloat16 or float16; state tensors are float32.
/// </summary>
/// <remarks>
/// The tensor only names memory: the view's memory belongs to the caller and must live as long as the tensor is used.
/// Wrapping a TorchSharp CUDA tensor's storage as a view steps it in place, with no copy.
/// </remarks>
public readonly record struct GpuTensor
{
    // Exactly one of the two views is set: 16-bit elements are kept as their raw bits, which the kernels convert.
    private readonly ArrayView1D<float, Stride1D.Dense> floats;
    private readonly ArrayView<ushort> bits;

    /// <summary>A float32 tensor over <paramref name="View"/>.</summary>
    /// <param name="View">The elements.</param>
    // The parameter keeps the name it had when this type was a positional record, so that named arguments still compile.
    public GpuTensor(ArrayView1D<float, Stride1D.Dense> View)
    {
        floats = View;
        ElementType = GpuElementType.Float32;
    }

    /// <summary>A float32 tensor over a whole buffer.</summary>
    /// <param name="buffer">The buffer.</param>
    public GpuTensor(MemoryBuffer1D<float, Stride1D.Dense> buffer) : this((buffer ?? throw new ArgumentNullException(nameof(buffer))).View)
    {
    }

    private GpuTensor(ArrayView<ushort> bits, GpuElementType elementType)
    {
        this.bits = bits;
        ElementType = elementType;
    }

    /// <summary>A bfloat16 tensor over the raw bits of its elements (row-major), as torch.bfloat16 stores them.</summary>
    /// <param name="bits">Each element's 16 bits: float32's upper half (sign, 8-bit exponent, 7 mantissa bits).</param>
    /// <returns>A tensor whose <see cref="ElementType"/> is <see cref="GpuElementType.BFloat16"/>.</returns>
    public static GpuTensor FromBFloat16(ArrayView1D<ushort, Stride1D.Dense> bits) => new(bits.AsContiguous(), GpuElementType.BFloat16);

    /// <summary>A float16 (IEEE binary16) tensor over its elements (row-major), as torch.float16 stores them.</summary>
    /// <param name="values">The elements.</param>
    /// <returns>A tensor whose <see cref="ElementType"/> is <see cref="GpuElementType.Float16"/>.</returns>
    public static GpuTensor FromFloat16(ArrayView1D<ILGPU.Half, Stride1D.Dense> values) =>
        new(values.AsContiguous().Cast<ushort>(), GpuElementType.Float16);

    /// <summary>The type of each element.</summary>
    public GpuElementType ElementType { get; }

    /// <summary>True when the kernels write this (bfloat16) parameter with stochastic rounding under <see cref="RoundingKey"/>.</summary>
    public bool StochasticRounding { get; private init; }

    /// <summary>The key of this step's stochastic rounding (<see cref="Gpu.StochasticRounding.Key"/>); 0 for round to nearest.</summary>
    public uint RoundingKey { get; private init; }

    /// <summary>
    /// This bfloat16 parameter, written by the step's kernels with stochastic rounding under <paramref name="key"/> rather
    /// than to nearest: each element's dither is <see cref="Gpu.StochasticRounding.Dither"/>(key, index). Make a key per
    /// step and tensor with <see cref="Gpu.StochasticRounding.Key"/>, so that no two roundings share their dither.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not bfloat16.</exception>
    public GpuTensor WithStochasticRounding(uint key) => ElementType == GpuElementType.BFloat16
        ? this with { StochasticRounding = true, RoundingKey = key }
        : throw new InvalidOperationException($"stochastic rounding writes bfloat16 parameters; this tensor is {ElementType}.");

    /// <summary>This tensor written to nearest (ties to even), as without <see cref="WithStochasticRounding"/>.</summary>
    public GpuTensor WithRoundToNearest() => this with { StochasticRounding = false, RoundingKey = 0 };

    /// <summary>The number of elements (not bytes).</summary>
    public long Length => ElementType == GpuElementType.Float32 ? floats.Length : bits.Length;

    /// <summary>The elements of a float32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not float32.</exception>
    public ArrayView1D<float, Stride1D.Dense> View => ElementType == GpuElementType.Float32
        ? floats
        : throw new InvalidOperationException($"a {ElementType} tensor has no float32 view.");

    /// <summary>
    /// The view of a state tensor (m, v, a factor, ...), which must be float32: only θ and g may be 16-bit, as the official
    /// code upcasts them and keeps its state in float32.
    /// </summary>
    /// <param name="argument">The argument this tensor was given as, for the message.</param>
    /// <param name="part">The part of a factored statistic (Row, Col, ...), or null.</param>
    /// <exception cref="ArgumentException">The tensor is not float32.</exception>
    internal ArrayView<float> StateView(string argument, string? part = null) => ElementType == GpuElementType.Float32
        ? floats.AsContiguous()
        : throw new ArgumentException(
            $"{argument}{(part is null ? "" : "." + part)} is a {ElementType} tensor; state tensors are float32 (only a parameter and its gradient may be 16-bit).",
            argument);

    /// <summary>
    /// The elements as kernels of element type <typeparamref name="TElement"/> take them: float for float32, the raw bits
    /// (ushort) for 16-bit types. The caller picks <typeparamref name="TElement"/> from <see cref="ElementType"/>.
    /// </summary>
    internal ArrayView<TElement> As<TElement>() where TElement : unmanaged =>
        ElementType == GpuElementType.Float32 ? floats.AsContiguous().Cast<TElement>() : bits.Cast<TElement>();

    /// <summary>The element type and length; <see cref="View"/> is left out because only a float32 tensor has one.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"ElementType = {ElementType}, Length = {Length}");
        if (StochasticRounding) builder.Append($", RoundingKey = {RoundingKey}");
        return true;
    }
}
