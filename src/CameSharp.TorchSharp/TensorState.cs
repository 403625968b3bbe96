using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using CameSharp.Gpu;
using ILGPU.Runtime;
using Device = TorchSharp.torch.Device;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;
using OptimizerState = global::TorchSharp.Modules.OptimizerState;
using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// A parameter's optimizer state as named tensors on the parameter's device, under the official PyTorch names
/// (exp_avg, exp_avg_sq_row, ...; float32, or uint8 exp_avg_codes with float32 exp_avg_absmax in 8-bit state), plus the step count, laid out by the optimizer's update rule. Both backends
/// step these same tensors (the CPU kernels over their memory, torch ops on any device), so a state saved from one
/// continues on the other. Besides the state, the rule may ask for scratch (the factors of a factored statistic),
/// which is neither saved nor counted in <see cref="Bytes"/>.
/// </summary>
public sealed class TensorState : OptimizerState, IDisposable
{
    private readonly List<(StateTensorSpec Spec, Tensor Tensor)> tensors = [];
    private readonly Tensor parameter;
    private readonly Func<OptimizerOptions, IReadOnlyList<StateTensorSpec>> layout;
    private readonly string name;
    private TensorStep<Tensor, Tensor>? torchView;
    private TensorStep<Memory<float>, double>? cpuView;
    private nint[] cpuPointers = [];
    private nint gradPointer;
    private TensorStep<GpuTensor, GpuScalar>? gpuView;
    private Accelerator? gpuAccelerator;
    private MemoryBuffer[] gpuBuffers = [];
    private MemoryBuffer? gpuGradBuffer;
    private nint gpuParameterPointer;
    private nint gpuGradPointer;

    internal TensorState(Parameter parameter, int index, string name, Func<OptimizerOptions, IReadOnlyList<StateTensorSpec>> layout) : base(parameter)
    {
        Index = index;
        this.parameter = parameter;
        this.name = name;
        Shape = parameter.shape.Select(d => checked((int)d)).ToArray();
        this.layout = layout;
    }

    /// <summary>The parameter's index in <c>parameters()</c>, as torch.optim numbers them; it keys the parameter's stochastic rounding.</summary>
    internal int Index { get; }

    /// <summary>The parameter as messages name it: its position in <c>parameters()</c> and its shape, as torch.optim numbers them.</summary>
    internal string ParameterName => name;

    /// <summary>Steps taken by this parameter (<c>state["step"]</c>).</summary>
    public long step;

    /// <summary>The state or scratch tensor named <paramref name="name"/>.</summary>
    public Tensor this[string name] => tensors.First(t => t.Spec.Name == name).Tensor;

    /// <summary>The names of the state tensors (the saved ones), in order.</summary>
    public IEnumerable<string> Names => tensors.Where(t => t.Spec.Saved).Select(t => t.Spec.Name);

    /// <summary>Bytes held by the state tensors.</summary>
    public long Bytes => tensors.Where(t => t.Spec.Saved).Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize);

    /// <summary>Bytes held by the scratch tensors the rule fills within a step (the factors of factored statistics).</summary>
    public long ScratchBytes => tensors.Where(t => !t.Spec.Saved).Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize);

    /// <summary>
    /// Allocates zeroed tensors on the parameter's device for the rule's layout under <paramref name="options"/>: float32,
    /// or uint8 for 8-bit codes (whose storage is padded to whole float32 words, which the CPU kernels address).
    /// </summary>
    public override void Initialize(OptimizerOptions options)
    {
        DisposeTensors();
        foreach (var spec in layout(options)) tensors.Add((spec, Allocate(spec, parameter.device)));
    }

    /// <summary>A zeroed tensor for <paramref name="spec"/> on <paramref name="device"/>; codes over storage padded to whole float32 words.</summary>
    private static Tensor Allocate(StateTensorSpec spec, Device device)
    {
        long[] shape = spec.Shape.Select(d => (long)d).ToArray();
        if (spec.Encoding == StateEncoding.Float32) return torch.zeros(shape, ScalarType.Float32, device);
        using var padded = torch.zeros(4L * spec.StorageLength, ScalarType.Byte, device);
        return padded.narrow(0, 0, spec.Length).view(shape);
    }

    /// <summary>How the state tensor <paramref name="name"/> is stored.</summary>
    internal StateEncoding EncodingOf(string name) => tensors.First(t => t.Spec.Name == name).Spec.Encoding;

    private IEnumerable<(string Name, Tensor Tensor)> Saved => tensors.Where(t => t.Spec.Saved).Select(t => (t.Spec.Name, t.Tensor));

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        var saved = Saved.ToArray();
        writer.Write(step);
        writer.Write(saved.Length);
        foreach (var (n, tensor) in saved)
        {
            writer.Write(n);
            tensor.Save(writer);
        }
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        var saved = Saved.ToArray();
        long loadedStep = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != saved.Length)
            throw new InvalidDataException($"the saved state has {count} tensors; this parameter's has {saved.Length} ({string.Join(", ", Names)}).");
        foreach (var (n, tensor) in saved)
        {
            string read = reader.ReadString();
            if (read != n) throw new InvalidDataException($"the saved state has tensor '{read}' where '{n}' was expected.");
            // Load reads into the existing tensor, so its storage (which the CPU kernels view) stays where it is.
            tensor.Load(reader);
        }
        step = loadedStep;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerState source)
    {
        if (source is not TensorState other || !other.Names.SequenceEqual(Names))
            throw new ArgumentException($"the source state does not hold the tensors {string.Join(", ", Names)}.", nameof(source));
        foreach (var (n, tensor) in Saved) tensor.copy_(other[n]);
        step = other.step;
    }

    /// <inheritdoc/>
    public override bool ApproximatelyEquals(OptimizerState other) =>
        other is TensorState rhs && rhs.step == step && rhs.Names.SequenceEqual(Names) &&
        Saved.All(t => t.Tensor.allclose(rhs[t.Name]));

    /// <inheritdoc/>
    public override void to(Device device)
    {
        for (int i = 0; i < tensors.Count; i++)
        {
            var (spec, tensor) = tensors[i];
            Tensor moved;
            if (spec.Encoding == StateEncoding.Float32) moved = tensor.to(device);
            else if (tensor.device_type == device.type && tensor.device_index == device.index) moved = tensor;
            else
            {
                // Codes are copied into storage padded to whole float32 words, which the CPU kernels address (a plain
                // move would give storage of the codes' own size); the old tensor is released only once that worked.
                moved = Allocate(spec, device);
                moved.copy_(tensor);
            }
            if (ReferenceEquals(moved, tensor)) continue;
            tensor.Dispose();
            tensors[i] = (spec, moved);
        }
        // Every view names the old tensors: the next step builds them again over the moved ones.
        torchView = null;
        cpuView = null;
        ForgetGpuView();
    }

    /// <summary>Releases the state tensors.</summary>
    public void Dispose()
    {
        DisposeTensors();
        ForgetGpuView();
        GC.SuppressFinalize(this);
    }

    private void DisposeTensors()
    {
        foreach (var (_, t) in tensors) t.Dispose();
        tensors.Clear();
        torchView = null;
        cpuView = null;
        ForgetGpuView();
    }

    /// <summary>
    /// True when the CPU kernels apply: parameter, gradient and every state tensor are contiguous float32 (uint8 for
    /// codes) on the CPU. Allocates nothing.
    /// </summary>
    internal bool CpuKernelsApply(Tensor grad)
    {
        if (!IsCpuFloat32(parameter) || !IsCpuFloat32(grad)) return false;
        for (int i = 0; i < tensors.Count; i++)
        {
            var (spec, t) = tensors[i];
            var dtype = spec.Encoding == StateEncoding.Float32 ? ScalarType.Float32 : ScalarType.Byte;
            if (t.device_type != DeviceType.CPU || t.dtype != dtype || !t.is_contiguous()) return false;
        }
        return true;
    }

    private static bool IsCpuFloat32(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous();

    /// <summary>The rule's view of this parameter for torch ops; the caller sets the float32 parameter and gradient.</summary>
    internal TensorStep<Tensor, Tensor> TorchView() =>
        torchView ??= new(name, ParameterShape, parameter, tensors.Select(t => t.Spec), tensors.Select(t => t.Tensor), Index);

    /// <summary>
    /// The rule's view of this parameter for the CPU kernels, over the tensors' own memory: rebuilt only when a
    /// tensor's storage has moved, so steps do not allocate.
    /// </summary>
    internal TensorStep<Memory<float>, double> CpuView(Tensor grad)
    {
        if (cpuView is null || StorageMoved())
        {
            cpuPointers = [.. tensors.Select(t => Address(t.Tensor)), Address(parameter)];
            cpuView = new(name, ParameterShape, Wrap(parameter), tensors.Select(t => t.Spec), tensors.Select(t => Wrap(t.Tensor, t.Spec.StorageLength)), Index);
            gradPointer = 0;
        }
        nint pointer = Address(grad);
        if (pointer != gradPointer)
        {
            cpuView.Gradient = Wrap(grad);
            gradPointer = pointer;
        }
        return cpuView;
    }

    /// <summary>
    /// True when the fused GPU kernels apply on the device (<paramref name="type"/>, <paramref name="index"/>; the index is
    /// ignored for the CPU): the parameter and gradient are non-empty and contiguous there, of one dtype among float32,
    /// bfloat16 and float16, and every state tensor is contiguous float32 there. Allocates nothing.
    /// </summary>
    internal bool GpuKernelsApply(Tensor grad, DeviceType type, int index)
    {
        if (parameter.NumberOfElements is 0 or >= int.MaxValue || grad.dtype != parameter.dtype) return false;
        if (!IsGpuElement(parameter, type, index) || !IsGpuElement(grad, type, index)) return false;
        for (int i = 0; i < tensors.Count; i++)
        {
            // State is float32, or 8-bit codes in uint8 storage padded to whole words (see Allocate).
            var expected = tensors[i].Spec.Encoding == StateEncoding.Float32 ? ScalarType.Float32 : ScalarType.Byte;
            if (tensors[i].Tensor.dtype != expected || !OnDevice(tensors[i].Tensor, type, index)) return false;
        }
        return true;
    }

    private static bool IsGpuElement(Tensor t, DeviceType type, int index) =>
        t.dtype is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 && OnDevice(t, type, index);

    private static bool OnDevice(Tensor t, DeviceType type, int index) =>
        t.device_type == type && (type == DeviceType.CPU || t.device_index == index) && t.is_contiguous();

    /// <summary>
    /// The rule's view of this parameter for the GPU kernels on <paramref name="accelerator"/>, over the tensors' own
    /// memory (a device pointer on CUDA, a host pointer on ILGPU's CPU accelerator): rebuilt only when a tensor's storage
    /// has moved or the accelerator changed, so steps do not allocate.
    /// </summary>
    internal TensorStep<GpuTensor, GpuScalar> GpuView(Accelerator accelerator, Tensor grad)
    {
        if (gpuView is null || !ReferenceEquals(gpuAccelerator, accelerator) || GpuStorageMoved())
        {
            ForgetGpuView();
            gpuAccelerator = accelerator;
            gpuParameterPointer = DataAddress(parameter);
            gpuBuffers = [.. tensors.Select(t => WrapState(accelerator, t.Tensor, t.Spec)), WrapBuffer(accelerator, parameter)];
            gpuView = new(name, ParameterShape, AsGpuTensor(parameter, gpuBuffers[^1]), tensors.Select(t => t.Spec),
                gpuBuffers[..^1].Select((b, i) => AsGpuTensor(tensors[i].Tensor, b)), Index);
        }
        nint pointer = DataAddress(grad);
        if (gpuGradBuffer is null || pointer != gpuGradPointer)
        {
            gpuGradBuffer?.Dispose();
            gpuGradBuffer = WrapBuffer(accelerator, grad);
            gpuGradPointer = pointer;
            gpuView.Gradient = AsGpuTensor(grad, gpuGradBuffer);
        }
        return gpuView;
    }

    /// <summary>
    /// True when the parameter's storage is no longer where the GPU view wraps it (the user replaced its data). The state
    /// tensors move only through <see cref="to"/> and <see cref="Initialize"/>, which drop the view themselves, so a step
    /// asks for one address, not one per state tensor.
    /// </summary>
    private bool GpuStorageMoved() => DataAddress(parameter) != gpuParameterPointer;

    /// <summary>Releases the wrappers of the GPU view (not the memory, which is the tensors').</summary>
    private void ForgetGpuView()
    {
        foreach (var buffer in gpuBuffers) buffer.Dispose();
        gpuBuffers = [];
        gpuGradBuffer?.Dispose();
        gpuGradBuffer = null;
        gpuView = null;
        gpuAccelerator = null;
    }

    private static MemoryBuffer WrapBuffer(Accelerator accelerator, Tensor t) =>
        ExternalMemory.Wrap(accelerator, DataAddress(t), t.NumberOfElements, (int)t.ElementSize);

    /// <summary>
    /// A state tensor's memory: float32 values, or 8-bit codes wrapped as the float32 words of their padded storage, which
    /// the kernels read as bytes (the CPU engine's layout).
    /// </summary>
    private static MemoryBuffer WrapState(Accelerator accelerator, Tensor t, StateTensorSpec spec) =>
        spec.Encoding == StateEncoding.Float32
            ? WrapBuffer(accelerator, t)
            : ExternalMemory.Wrap(accelerator, DataAddress(t), spec.StorageLength, sizeof(float));

    private static GpuTensor AsGpuTensor(Tensor t, MemoryBuffer buffer) => t.dtype switch
    {
        ScalarType.Float32 => new GpuTensor(ExternalMemory.AsFloat32(buffer)),
        ScalarType.Byte => new GpuTensor(ExternalMemory.AsFloat32(buffer)),
        ScalarType.BFloat16 => GpuTensor.FromBFloat16(ExternalMemory.AsBits16(buffer)),
        ScalarType.Float16 => GpuTensor.FromFloat16(ExternalMemory.AsFloat16(buffer)),
        _ => throw new ArgumentException($"the GPU kernels take float32, bfloat16 or float16 tensors; got {t.dtype}.", nameof(t)),
    };

    /// <summary>The address of a tensor's first element on its device (see <see cref="StorageAddress"/>).</summary>
    internal static nint DataAddress(Tensor t) => StorageAddress.Of(t);

    private int[] ParameterShape => Shape;

    /// <summary>The parameter's shape, as it was when the optimizer took it.</summary>
    internal int[] Shape { get; }

    /// <summary>The parameter's dtype now.</summary>
    internal ScalarType Dtype => parameter.dtype;

    /// <summary>The GPU backend that has sized its scratch and compiled its passes for this parameter, and for which dtype.</summary>
    internal GpuBackend? PreparedOn { get; set; }

    /// <inheritdoc cref="PreparedOn"/>
    internal ScalarType PreparedDtype { get; set; }

    /// <summary>True when any state tensor or the parameter no longer lives where the view recorded; allocates nothing.</summary>
    private bool StorageMoved()
    {
        for (int i = 0; i < tensors.Count; i++)
            if (Address(tensors[i].Tensor) != cpuPointers[i]) return true;
        return Address(parameter) != cpuPointers[^1];
    }

    private static Memory<float> Wrap(Tensor t) => Wrap(t, checked((int)t.NumberOfElements));

    /// <summary>A tensor's memory as <paramref name="floats"/> float32 words (codes are packed four to a word).</summary>
    private static Memory<float> Wrap(Tensor t, int floats) => new UnmanagedFloatMemory(Address(t), floats).Memory;

    /// <summary>The address of a CPU tensor's first element: <c>bytes</c> spans its native storage, which does not move.</summary>
    private static unsafe nint Address(Tensor t) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
}
