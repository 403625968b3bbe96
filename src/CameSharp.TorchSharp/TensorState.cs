using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;
using OptimizerState = global::TorchSharp.Modules.OptimizerState;
using Parameter = global::TorchSharp.Modules.Parameter;
using TorchParamGroup = global::TorchSharp.Modules.ParamGroup;

/// <summary>
/// A parameter's optimizer state as named float32 tensors on the parameter's device, under the official PyTorch
/// names (exp_avg, exp_avg_sq_row, ...), plus the step count. Both the torch-op path and the CPU fast path work on
/// these same tensors, so a state saved from one continues on the other.
/// </summary>
public abstract class TensorState : OptimizerState, IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> tensors = [];
    private readonly Tensor parameter;
    private EngineView? view;

    /// <summary>Creates the (empty) state of <paramref name="parameter"/>; <see cref="OptimizerState.Initialize"/> allocates it.</summary>
    protected TensorState(Parameter parameter) : base(parameter)
    {
        this.parameter = parameter;
    }

    /// <summary>Steps taken by this parameter (<c>state["step"]</c>).</summary>
    public long step;

    /// <summary>The state tensor named <paramref name="name"/>.</summary>
    public Tensor this[string name] => tensors.First(t => t.Name == name).Tensor;

    /// <summary>The names of the state tensors, in order.</summary>
    public IEnumerable<string> Names => tensors.Select(t => t.Name);

    /// <summary>Bytes held by the state tensors.</summary>
    public long Bytes => tensors.Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize);

    /// <summary>Allocates zeroed float32 tensors on the parameter's device for every entry of the layout.</summary>
    protected void Allocate(IEnumerable<(string Name, int[] Shape)> layout)
    {
        DisposeTensors();
        foreach (var (name, shape) in layout)
            tensors.Add((name, torch.zeros(shape.Select(d => (long)d).ToArray(), ScalarType.Float32, parameter.device)));
    }

    /// <summary>The parameter's shape as the engine takes it.</summary>
    protected int[] ParameterShape => parameter.shape.Select(d => checked((int)d)).ToArray();

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        writer.Write(step);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            writer.Write(name);
            tensor.Save(writer);
        }
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        long loadedStep = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != tensors.Count)
            throw new InvalidDataException($"the saved state has {count} tensors; this parameter's has {tensors.Count} ({string.Join(", ", Names)}).");
        foreach (var (name, tensor) in tensors)
        {
            string saved = reader.ReadString();
            if (saved != name) throw new InvalidDataException($"the saved state has tensor '{saved}' where '{name}' was expected.");
            // Load reads into the existing tensor, so its storage (which the fast path views) stays where it is.
            tensor.Load(reader);
        }
        step = loadedStep;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerState source)
    {
        if (source is not TensorState other || !other.Names.SequenceEqual(Names))
            throw new ArgumentException($"the source state does not hold the tensors {string.Join(", ", Names)}.", nameof(source));
        foreach (var (name, tensor) in tensors) tensor.copy_(other[name]);
        step = other.step;
    }

    /// <inheritdoc/>
    public override bool ApproximatelyEquals(OptimizerState other) =>
        other is TensorState rhs && rhs.step == step && rhs.Names.SequenceEqual(Names) &&
        tensors.All(t => t.Tensor.allclose(rhs[t.Name]));

    /// <inheritdoc/>
    public override void to(Device device)
    {
        for (int i = 0; i < tensors.Count; i++)
        {
            var moved = tensors[i].Tensor.to(device);
            if (!ReferenceEquals(moved, tensors[i].Tensor)) tensors[i].Tensor.Dispose();
            tensors[i] = (tensors[i].Name, moved);
        }
    }

    /// <summary>Releases the state tensors.</summary>
    public void Dispose()
    {
        DisposeTensors();
        GC.SuppressFinalize(this);
    }

    private void DisposeTensors()
    {
        foreach (var (_, t) in tensors) t.Dispose();
        tensors.Clear();
        view = null;
    }

    /// <summary>True when the fast path applies: parameter, gradient and every state tensor are contiguous float32 on the CPU.</summary>
    internal bool FastPathApplies(Tensor grad) =>
        IsCpuFloat32(parameter) && IsCpuFloat32(grad) && tensors.All(t => IsCpuFloat32(t.Tensor));

    private static bool IsCpuFloat32(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous();

    /// <summary>
    /// The engine's view of this parameter and its state, over the tensors' own memory: rebuilt only when a
    /// tensor's storage has moved, so steps do not allocate.
    /// </summary>
    internal EngineView View<TOptions>(Engine.Optimizer<TOptions> host, Tensor grad, TOptions options) where TOptions : Engine.OptimizerOptions
    {
        if (view is null || StorageMoved(view.Pointers))
        {
            nint[] pointers = [.. tensors.Select(t => Address(t.Tensor)), Address(parameter)];
            var data = Wrap(parameter);
            var engineParameter = new Engine.Parameter("p", data, ParameterShape);
            var state = host.CreateState(engineParameter, options, (name, shape) => Wrap(this[name]));
            view = new EngineView(pointers, engineParameter, state);
        }
        view.SetGrad(grad);
        view.State.Step = step;
        return view;
    }

    /// <summary>True when any state tensor or the parameter no longer lives where <paramref name="pointers"/> recorded; allocates nothing.</summary>
    private bool StorageMoved(nint[] pointers)
    {
        for (int i = 0; i < tensors.Count; i++)
            if (Address(tensors[i].Tensor) != pointers[i]) return true;
        return Address(parameter) != pointers[^1];
    }

    internal static Memory<float> Wrap(Tensor t) =>
        new Engine.UnmanagedFloatMemory(Address(t), checked((int)t.NumberOfElements)).Memory;

    /// <summary>The address of a CPU tensor's first element: <c>bytes</c> spans its native storage, which does not move.</summary>
    internal static unsafe nint Address(Tensor t) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>An engine parameter and state over tensor memory.</summary>
    internal sealed class EngineView(nint[] pointers, Engine.Parameter parameter, Engine.ParameterState state)
    {
        private nint gradPointer;

        public nint[] Pointers { get; } = pointers;
        public Engine.Parameter Parameter { get; } = parameter;
        public Engine.ParameterState State { get; } = state;

        public void SetGrad(Tensor grad)
        {
            nint pointer = Address(grad);
            if (pointer == gradPointer) return;
            Parameter.Grad = Wrap(grad);
            gradPointer = pointer;
        }
    }
}
