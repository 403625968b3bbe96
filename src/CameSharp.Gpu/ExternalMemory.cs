using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CameSharp.Gpu;

/// <summary>
/// Memory that another library allocated (a TorchSharp tensor's storage, say), seen by an accelerator's kernels in
/// place: no copy, and the memory stays its owner's. On CUDA the address is a device pointer in the unified address
/// space; the CUDA guide gives each context its own address space, but on the driver this project verified (580, CUDA
/// 13, one H100: ../shared/notes/gpu-device.md) kernels of ILGPU's context read and wrote memory that torch allocated in
/// the device's primary context. On ILGPU's CPU accelerator the address is a host pointer.
/// </summary>
public static class ExternalMemory
{
    /// <summary>
    /// A buffer over <paramref name="length"/> elements of <paramref name="elementSize"/> bytes at
    /// <paramref name="address"/>. Disposing it leaves the memory alone; the owner must keep the memory alive, and
    /// where it is, while the buffer's views are used.
    /// </summary>
    /// <param name="accelerator">A CUDA accelerator (for device pointers) or a CPU accelerator (for host pointers).</param>
    /// <param name="address">The first element; aligned to <paramref name="elementSize"/>.</param>
    /// <param name="length">Elements, at least 1.</param>
    /// <param name="elementSize">Bytes an element: 1, 2, 4 or 8.</param>
    /// <exception cref="ArgumentException">The address is null or misaligned, or the accelerator is neither CUDA nor CPU.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length or element size is outside its range.</exception>
    public static MemoryBuffer Wrap(Accelerator accelerator, nint address, long length, int elementSize)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (elementSize is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(elementSize), elementSize, "1, 2, 4 or 8 bytes.");
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "at least 1 element.");
        if (address == 0) throw new ArgumentException("the address is null.", nameof(address));
        if (address % elementSize != 0)
            throw new ArgumentException($"the address 0x{address:x} is not aligned to the element size {elementSize}.", nameof(address));
        return accelerator switch
        {
            CudaAccelerator cuda => new CudaPointerBuffer(cuda, address, length, elementSize),
            CPUAccelerator => CPUMemoryBuffer.Create(accelerator, address, length, elementSize),
            _ => throw new ArgumentException($"external memory needs a CUDA or a CPU accelerator; got {accelerator.AcceleratorType}.", nameof(accelerator)),
        };
    }

    /// <summary>A dense float32 view of <paramref name="buffer"/>'s elements.</summary>
    /// <exception cref="ArgumentException">The buffer's elements are not 4 bytes.</exception>
    public static ArrayView1D<float, Stride1D.Dense> AsFloat32(MemoryBuffer buffer) => As<float>(buffer);

    /// <summary>A dense view of <paramref name="buffer"/>'s elements as raw 16-bit values (bfloat16 bits).</summary>
    /// <exception cref="ArgumentException">The buffer's elements are not 2 bytes.</exception>
    public static ArrayView1D<ushort, Stride1D.Dense> AsBits16(MemoryBuffer buffer) => As<ushort>(buffer);

    /// <summary>A dense view of <paramref name="buffer"/>'s elements as IEEE half-precision values.</summary>
    /// <exception cref="ArgumentException">The buffer's elements are not 2 bytes.</exception>
    public static ArrayView1D<ILGPU.Half, Stride1D.Dense> AsFloat16(MemoryBuffer buffer) => As<ILGPU.Half>(buffer);

    private static ArrayView1D<T, Stride1D.Dense> As<T>(MemoryBuffer buffer) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.ElementSize != Unsafe.SizeOf<T>())
            throw new ArgumentException($"the buffer's elements are {buffer.ElementSize} bytes; a view of {typeof(T).Name} needs {Unsafe.SizeOf<T>()}.", nameof(buffer));
        return buffer.AsArrayView<T>(0, buffer.Length);
    }

    /// <summary>
    /// A CUDA device pointer owned elsewhere. Its copies and fills go through ILGPU's own CUDA helpers on the given
    /// stream; disposing it frees nothing.
    /// </summary>
    private sealed class CudaPointerBuffer : MemoryBuffer
    {
        public CudaPointerBuffer(CudaAccelerator accelerator, nint address, long length, int elementSize)
            : base(accelerator, length, elementSize) => NativePtr = address;

        protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaMemSet(Cuda(stream), value, targetView);

        protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaCopy(Cuda(stream), sourceView, targetView);

        protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaCopy(Cuda(stream), sourceView, targetView);

        private static CudaStream Cuda(AcceleratorStream stream) =>
            stream as CudaStream ?? throw new ArgumentException("a CUDA buffer's copies run on a CUDA stream.", nameof(stream));

        /// <summary>Nothing to free: the memory belongs to its owner.</summary>
        protected override void DisposeAcceleratorObject(bool disposing)
        {
        }
    }
}
