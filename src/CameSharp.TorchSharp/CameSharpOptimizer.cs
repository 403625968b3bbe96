using TorchSharp;
using static TorchSharp.torch.optim;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;
using Parameter = global::TorchSharp.Modules.Parameter;
using TorchParamGroup = global::TorchSharp.Modules.ParamGroup;

/// <summary>
/// What CameSharp's TorchSharp optimizers share: torch.optim's shape (param groups, <c>step(closure)</c>,
/// <c>zero_grad</c>, state dicts, LR schedulers), hyperparameters checked by the engine, and the engine's update rule
/// run on one of three backends. A contiguous float32 CPU parameter goes through the engine's CPU kernels on the
/// tensor's own memory; a contiguous float32, bfloat16 or float16 CUDA parameter through the fused GPU kernels
/// (<c>CameSharp.Gpu</c>) on the tensor's device memory; any other (float64, non-contiguous, or CUDA where ILGPU cannot
/// run) through torch ops, with math and state in float32 and the result written back in the parameter's dtype. All
/// three update the same float32 state tensors; bfloat16 results are rounded stochastically by default
/// (<see cref="StochasticRounding"/>).
/// </summary>
/// <typeparam name="TEngineOptions">The engine's options record, which validates and supplies defaults.</typeparam>
public abstract partial class CameSharpOptimizer<TEngineOptions> : OptimizerHelper, IBetas, ICameSharpOptimizer where TEngineOptions : Engine.OptimizerOptions
{
    private readonly Engine.UpdateRule<TEngineOptions> rule;
    private readonly IOptionsBinding<TEngineOptions> binding;
    private readonly Engine.Kernels.CpuKernels cpu = new();
    private readonly TorchKernels torchOps = new();
    private readonly List<WorkItem> work = [];
    private readonly List<double> cpuVerdicts = [];
    private readonly List<Tensor> torchVerdicts = [];

    /// <summary>The GPU backend of each CUDA device met so far; null where ILGPU cannot drive the device.</summary>
    private readonly Dictionary<int, GpuBackend?> cudaBackends = [];

    /// <summary>Every GPU backend in use (those of <see cref="cudaBackends"/> and the test hook's), kept as a list so a step enumerates them without allocating.</summary>
    private readonly List<GpuBackend> gpuBackends = [];

    /// <summary>Set by tests only: CPU tensors go through the GPU kernels on ILGPU's CPU accelerator, the CUDA path's glue without a GPU.</summary>
    private GpuBackend? cpuTensorBackend;

    /// <summary>How a parameter is stepped: by which backend, and where its verdict sits in that backend's list.</summary>
    private enum Route { Cpu, Gpu, Torch }

    private readonly record struct WorkItem(Parameter Param, Tensor Grad, TensorState State, TEngineOptions Options, Route Route, GpuBackend? Gpu,
        int Verdict);

    private protected CameSharpOptimizer(Engine.UpdateRule<TEngineOptions> rule, IOptionsBinding<TEngineOptions> binding, OptimizerOptions defaults,
        IEnumerable<TorchParamGroup> groups)
    {
        this.rule = rule;
        this.binding = binding;
        _defaults = defaults;
        _parameter_groups = [];
        ToEngine(defaults);
        foreach (var g in groups) add_param_group(g);
    }

    /// <summary>What a step does with a non-finite gradient. Default <see cref="Engine.NonFinitePolicy.Throw"/>: nothing changes.</summary>
    public Engine.NonFinitePolicy NonFinitePolicy { get; set; } = Engine.NonFinitePolicy.Throw;

    /// <summary>Steps skipped under <see cref="Engine.NonFinitePolicy.SkipStep"/>.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>
    /// Use the fused kernels: the engine's CPU kernels for contiguous float32 CPU parameters, and the GPU kernels for
    /// contiguous float32, bfloat16 and float16 CUDA parameters. Default true; false forces torch ops everywhere.
    /// </summary>
    public bool UseFastPath { get; set; } = true;

    /// <summary>
    /// Round the float32 results of a step into bfloat16 parameters stochastically (the GPU kernels and the torch-op path
    /// alike), so that updates below half a bfloat16 step are kept in expectation instead of lost. Default true; false
    /// rounds to nearest. Each element's dither derives from (<see cref="Seed"/>, the step, the parameter's index, the
    /// element's index), so a run reproduces exactly. Other dtypes always round to nearest.
    /// </summary>
    public bool StochasticRounding { get; set; } = true;

    /// <summary>The seed of <see cref="StochasticRounding"/>. Default 0.</summary>
    public ulong Seed { get; set; }

    /// <summary>
    /// How full-size state is stored (CAME's momentum, Adafactor's momentum when β1 is set, AdamW's and LAMB's two
    /// moments): <see cref="Engine.StateFormat.Float32"/> (default), or <see cref="Engine.StateFormat.Blockwise8Bit"/>,
    /// one byte of code an element plus a float32 absmax per block of 256 (<see cref="Engine.Blockwise8Bit"/>), under the
    /// names <c>exp_avg_codes</c> (uint8, the parameter's shape) and <c>exp_avg_absmax</c> (float32, one per block).
    /// Contiguous float32 CPU parameters are stepped by the engine's CPU kernels, and CUDA parameters that the GPU kernels
    /// take by those, both decoding and encoding inside their passes; any other parameter by torch ops, which decode to a
    /// float32 temporary, step and encode, to the same bytes. Second moments are rounded stochastically (keyed by the step
    /// and the parameter's index, so runs reproduce); momenta to nearest. Set it before the first step: setting it
    /// re-creates the (zero) state of every parameter.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined format.</exception>
    /// <exception cref="InvalidOperationException">A parameter has taken a step.</exception>
    public Engine.StateFormat StateFormat
    {
        get;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(StateFormat), value, $"{nameof(StateFormat)} must be Float32 or Blockwise8Bit; got {value}.");
            if (value == field) return;
            var states = _parameter_groups.SelectMany(g => g.Parameters.Select(p => ((TensorState)_state[p.Handle], g))).ToArray();
            if (states.Any(s => s.Item1.step > 0))
                throw new InvalidOperationException(
                    $"{nameof(StateFormat)} cannot change from {field} to {value} once parameters have taken steps; set it before the first step.");
            field = value;
            foreach (var (state, group) in states) state.Initialize(group.Options);
        }
    }

    /// <summary>The rounding key of <paramref name="state"/>'s bfloat16 parameter at its current step, or null when it rounds to nearest.</summary>
    private uint? RoundingKey(Parameter p, TensorState state) =>
        StochasticRounding && p.dtype == ScalarType.BFloat16 ? Gpu.StochasticRounding.Key(Seed, state.step, state.Index) : null;

    /// <summary>Threads the CPU kernels may use. Default: the processor count.</summary>
    public int DegreeOfParallelism
    {
        get => cpu.DegreeOfParallelism;
        set => cpu.DegreeOfParallelism = value;
    }

    /// <summary>
    /// (β1, β2) of the defaults, for schedulers that cycle momentum (OneCycleLR). Adafactor's is (β1, 0), β1 being 0
    /// without momentum: its β2 follows decay_rate and cannot be set, and setting β1 does not switch momentum on.
    /// </summary>
    public (double, double) Betas
    {
        get => ((IBetasOptions)_defaults).Betas;
        set => ((IBetasOptions)_defaults).Betas = value;
    }

    /// <summary>Bytes of optimizer state held, over all parameters (the saved tensors; see <see cref="ScratchBytes"/>).</summary>
    public long StateBytes => _state.Values.OfType<TensorState>().Sum(s => s.Bytes);

    /// <summary>Bytes of per-parameter scratch the update rule fills within a step (the factors of factored statistics).</summary>
    public long ScratchBytes => _state.Values.OfType<TensorState>().Sum(s => s.ScratchBytes);

    /// <summary>Parameters stepped through the engine's CPU kernels in the last step.</summary>
    public int FastPathParameters { get; private set; }

    /// <summary>Parameters stepped through the fused GPU kernels in the last step.</summary>
    public int GpuKernelParameters { get; private set; }

    /// <summary>
    /// Why CUDA parameters are stepped by torch ops rather than the fused GPU kernels (ILGPU found no CUDA driver it can
    /// use, say); null when nothing has stopped them.
    /// </summary>
    public string? GpuUnavailableReason { get; private set; }

    /// <summary>The state of <paramref name="parameter"/>.</summary>
    public TensorState StateOf(Parameter parameter) => (TensorState)_state[parameter.Handle];

    /// <inheritdoc/>
    public override void add_param_group(TorchParamGroup param_group)
    {
        ArgumentNullException.ThrowIfNull(param_group);
        param_group.Options ??= NewOptions();
        FillDefaults(param_group.Options, _defaults);
        var resolved = ToEngine(param_group.Options);
        WriteBack(resolved, param_group.Options);
        param_group.Options.InitialLearningRate = param_group.Options.LearningRate ?? 0;
        var parameters = param_group.Parameters.ToList();
        foreach (var p in parameters)
            if (p.dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16))
                throw new ArgumentException($"parameters must be float32, float64, bfloat16 or float16; got {p.dtype}.", nameof(param_group));
        int index = _parameter_groups.Sum(g => g.Parameters.Count());
        param_group.Parameters = parameters;
        _parameter_groups.Add(param_group);
        foreach (var p in parameters)
        {
            int[] shape = p.shape.Select(d => checked((int)d)).ToArray();
            var state = new TensorState(p, index, $"param_groups parameter {index++} [{string.Join(", ", shape)}]",
                options => rule.StateLayout(shape, ToEngine(options), StateFormat));
            state.Initialize(param_group.Options);
            _state[p.Handle] = state;
            // Any parameter may reach the CPU kernels (a CUDA one moved to the CPU, say): their scratch is sized now, not mid-step.
            cpu.Reserve(shape);
            // A CUDA parameter's GPU kernels are compiled and their scratch sized now, so no step compiles or allocates.
            if (p.device_type == DeviceType.CUDA && CudaBackend(p.device_index) is { } gpu) PrepareFor(gpu, state);
            if (cpuTensorBackend is not null) PrepareFor(cpuTensorBackend, state);
        }
    }

    /// <summary>
    /// Tests only: steps contiguous float32 CPU parameters with the GPU kernels on <paramref name="accelerator"/> (ILGPU's CPU
    /// accelerator), over the tensors' own memory as on CUDA, so that the GPU path's glue is tested without a GPU.
    /// </summary>
    internal void StepCpuTensorsOn(ILGPU.Runtime.Accelerator accelerator, int groupSize)
    {
        if (cpuTensorBackend is not null)
        {
            gpuBackends.Remove(cpuTensorBackend);
            cpuTensorBackend.Dispose();
        }
        cpuTensorBackend = GpuBackend.ForCpuTensors(accelerator, groupSize);
        gpuBackends.Add(cpuTensorBackend);
        foreach (var p in _parameter_groups.SelectMany(g => g.Parameters))
            PrepareFor(cpuTensorBackend, (TensorState)_state[p.Handle]);
    }

    /// <summary>
    /// Sizes <paramref name="gpu"/>'s scratch for <paramref name="state"/>'s parameter and compiles the passes its dtype
    /// takes (both roundings for bfloat16), once per backend and dtype: at construction for a CUDA parameter, or at the
    /// first step that routes the parameter there (one moved to the GPU later), before that step's first kernel.
    /// </summary>
    private static void PrepareFor(GpuBackend gpu, TensorState state)
    {
        var dtype = state.Dtype;
        if (ReferenceEquals(state.PreparedOn, gpu) && state.PreparedDtype == dtype) return;
        gpu.Reserve(state.Shape);
        switch (dtype)
        {
            case ScalarType.Float32: gpu.Prepare(Gpu.GpuElementType.Float32, false); break;
            case ScalarType.Float16: gpu.Prepare(Gpu.GpuElementType.Float16, false); break;
            case ScalarType.BFloat16:
                gpu.Prepare(Gpu.GpuElementType.BFloat16, false);
                gpu.Prepare(Gpu.GpuElementType.BFloat16, true);
                break;
        }
        (state.PreparedOn, state.PreparedDtype) = (gpu, dtype);
    }

    /// <summary>The GPU backend of CUDA device <paramref name="deviceIndex"/>, made on first use; null (and the reason kept) where ILGPU cannot drive it.</summary>
    private GpuBackend? CudaBackend(int deviceIndex)
    {
        int index = deviceIndex < 0 ? 0 : deviceIndex;
        if (cudaBackends.TryGetValue(index, out var known)) return known;
        GpuBackend? backend = null;
        string? reason;
        if (!StorageAddress.Available) reason = "TorchSharp's native library does not give the tensors' device pointers (THSStorage_data_ptr).";
        else backend = GpuBackend.ForCuda(torch.device(DeviceType.CUDA, index), out reason);
        if (reason is not null) GpuUnavailableReason = reason;
        cudaBackends[index] = backend;
        if (backend is not null) gpuBackends.Add(backend);
        return backend;
    }

    /// <summary>Which backend steps a parameter with gradient <paramref name="grad"/> this step.</summary>
    private (Route, GpuBackend?) RouteOf(TensorState state, Tensor grad)
    {
        if (!UseFastPath) return (Route.Torch, null);
        var deviceType = grad.device_type;
        if (cpuTensorBackend is not null && state.GpuKernelsApply(grad, DeviceType.CPU, 0)) return (Route.Gpu, cpuTensorBackend);
        if (state.CpuKernelsApply(grad)) return (Route.Cpu, null);
        if (deviceType == DeviceType.CUDA && CudaBackend(grad.device_index) is { } gpu && state.GpuKernelsApply(grad, deviceType, grad.device_index))
            return (Route.Gpu, gpu);
        return (Route.Torch, null);
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (torch.enable_grad()) loss = closure();

        using var noGrad = torch.no_grad();
        // Torch-op temporaries that live through the step (float32 gradients, the first pass's sums) go with this scope.
        using var stepScope = torch.NewDisposeScope();
        work.Clear();
        cpuVerdicts.Clear();
        torchVerdicts.Clear();
        cpu.BeginStep();
        torchOps.BeginStep();
        foreach (var gpu in gpuBackends) gpu.BeginStep();
        FastPathParameters = 0;
        GpuKernelParameters = 0;
        Engine.NonFiniteGradientException? refusal;
        try
        {
            refusal = RouteInspectAndUpdate();
        }
        catch
        {
            // Wait for what was queued, without letting a failure of that wait hide the exception being thrown.
            foreach (var gpu in gpuBackends)
            {
                try { gpu.EndStep(); }
                catch (Exception e) when (e is not OutOfMemoryException) { }
            }
            throw;
        }
        finally
        {
            work.Clear();
        }
        // The parameters are final for torch (and for a caller's host reads) once the GPU kernels have run.
        foreach (var gpu in gpuBackends) gpu.EndStep();
        if (refusal is not null)
        {
            if (NonFinitePolicy == Engine.NonFinitePolicy.Throw) throw refusal;
            SkippedSteps++;
        }
        return loss!;
    }

    /// <summary>
    /// Routes every parameter with a gradient, inspects every gradient, and, when all are usable, updates every
    /// parameter. Returns the refusal (nothing changed) or null (every parameter stepped).
    /// </summary>
    private Engine.NonFiniteGradientException? RouteInspectAndUpdate()
    {
        // Route every parameter first: a GPU backend's scratch must be sized before the step's first kernel is queued.
        foreach (var group in _parameter_groups)
        {
            var options = ToEngine(group.Options);
            foreach (var p in group.Parameters)
            {
                var grad = p.grad;
                if (grad is null) continue;
                var state = (TensorState)_state[p.Handle];
                var (route, gpu) = RouteOf(state, grad);
                if (gpu is not null) PrepareFor(gpu, state);
                work.Add(new(p, grad, state, options, route, gpu, 0));
            }
        }
        // Every gradient is read before anything changes, as in the engine; each backend reads its verdicts once.
        for (int i = 0; i < work.Count; i++) work[i] = Inspect(work[i]);
        if (Refused() is { } refused) return new Engine.NonFiniteGradientException(refused.ParameterName, refused.step + 1);
        foreach (var item in work) Update(item);
        return null;
    }

    /// <summary>The first pass of one parameter on its backend; returns the item with its verdict's place.</summary>
    private WorkItem Inspect(WorkItem item)
    {
        var (_, grad, state, options, route, gpu, _) = item;
        long step = state.step + 1;
        switch (route)
        {
            case Route.Cpu:
                cpuVerdicts.Add(rule.Inspect(cpu, state.CpuView(grad), options, step));
                return item with { Verdict = cpuVerdicts.Count - 1 };
            case Route.Gpu:
                gpu!.BeforeFirstKernel();
                using (gpu.Enter()) gpu.Verdicts.Add(rule.Inspect(gpu.Kernels, state.GpuView(gpu.Accelerator, grad), options, step));
                return item with { Verdict = gpu.Verdicts.Count - 1 };
            default:
                var view = state.TorchView();
                view.Gradient = grad.dtype == ScalarType.Float32 ? grad : grad.to(ScalarType.Float32);
                using (var scope = torch.NewDisposeScope())
                {
                    var verdict = rule.Inspect(torchOps, view, options, step);
                    scope.MoveToOuter(verdict);
                    if (view.Pending is { } pending) scope.MoveToOuter(pending);
                    torchVerdicts.Add(verdict);
                }
                return item with { Verdict = torchVerdicts.Count - 1 };
        }
    }

    /// <summary>The rest of one parameter's step on its backend.</summary>
    private void Update(WorkItem item)
    {
        var (p, grad, state, options, route, gpu, _) = item;
        state.step++;
        switch (route)
        {
            case Route.Cpu:
                rule.Update(cpu, state.CpuView(grad), options, state.step);
                FastPathParameters++;
                break;
            case Route.Gpu:
                var gpuView = state.GpuView(gpu!.Accelerator, grad);
                gpuView.Parameter = RoundingKey(p, state) is { } gpuKey
                    ? gpuView.Parameter.WithStochasticRounding(gpuKey)
                    : gpuView.Parameter.WithRoundToNearest();
                using (gpu.Enter()) rule.Update(gpu.Kernels, gpuView, options, state.step);
                GpuKernelParameters++;
                break;
            default:
                using (torch.NewDisposeScope())
                {
                    var view = state.TorchView();
                    view.Parameter = p.dtype == ScalarType.Float32 ? p : p.to(ScalarType.Float32);
                    rule.Update(torchOps, view, options, state.step);
                    if (RoundingKey(p, state) is { } key) TorchStochasticRounding.Round(p, view.Parameter, key);
                    else if (!ReferenceEquals(view.Parameter, p)) p.copy_(view.Parameter);
                    view.Parameter = p;
                }
                break;
        }
    }

    /// <summary>The first parameter, in step order, whose gradient a backend refused; null when every one is usable.</summary>
    private TensorState? Refused()
    {
        int onCpu = cpu.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(cpuVerdicts));
        int onTorch = torchOps.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(torchVerdicts));
        bool anyGpu = false;
        foreach (var gpu in gpuBackends) anyGpu |= gpu.ReadRefused() >= 0;
        if (onCpu < 0 && onTorch < 0 && !anyGpu) return null;
        // Each backend's index is into its own list: name the earliest refused parameter in the step's order.
        foreach (var item in work)
        {
            int refused = item.Route switch { Route.Cpu => onCpu, Route.Gpu => item.Gpu!.Refused, _ => onTorch };
            if (refused == item.Verdict) return item.State;
        }
        return null;
    }

    internal TEngineOptions ToEngine(OptimizerOptions options) => binding.ToEngine(options);

    internal void WriteBack(TEngineOptions resolved, OptimizerOptions options) => binding.WriteBack(resolved, options);

    private void FillDefaults(OptimizerOptions options, OptimizerOptions defaults) => binding.FillDefaults(options, defaults);

    private OptimizerOptions NewOptions() => binding.NewOptions();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        foreach (var state in _state.Values.OfType<TensorState>()) state.Dispose();
        cpu.Dispose();
        foreach (var gpu in gpuBackends) gpu.Dispose();
    }
}
