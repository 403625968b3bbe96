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
/// run on one of two backends. A contiguous float32 CPU parameter goes through the engine's CPU kernels on the
/// tensor's own memory; any other (CUDA, float64, bfloat16, float16) through torch ops, with math and state in float32
/// and the result written back in the parameter's dtype. Both update the same state tensors.
/// </summary>
/// <typeparam name="TEngineOptions">The engine's options record, which validates and supplies defaults.</typeparam>
public abstract partial class CameSharpOptimizer<TEngineOptions> : OptimizerHelper, IBetas where TEngineOptions : Engine.OptimizerOptions
{
    private readonly Engine.UpdateRule<TEngineOptions> rule;
    private readonly IOptionsBinding<TEngineOptions> binding;
    private readonly Engine.Kernels.CpuKernels cpu = new();
    private readonly TorchKernels torchOps = new();
    private readonly List<(Parameter Param, Tensor Grad, TensorState State, TEngineOptions Options, bool Cpu)> work = [];
    private readonly List<double> cpuVerdicts = [];
    private readonly List<Tensor> torchVerdicts = [];

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

    /// <summary>Use the engine's CPU kernels for contiguous float32 CPU parameters. Default true; false forces torch ops everywhere.</summary>
    public bool UseFastPath { get; set; } = true;

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
            var state = new TensorState(p, $"param_groups parameter {index++} [{string.Join(", ", shape)}]",
                options => rule.StateLayout(shape, ToEngine(options)));
            state.Initialize(param_group.Options);
            _state[p.Handle] = state;
            // Any parameter may reach the CPU kernels (a CUDA one moved to the CPU, say): their scratch is sized now, not mid-step.
            cpu.Reserve(shape);
        }
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
        FastPathParameters = 0;
        // Every gradient is read before anything changes, as in the engine; each backend reads its verdicts once.
        foreach (var group in _parameter_groups)
        {
            var options = ToEngine(group.Options);
            foreach (var p in group.Parameters)
            {
                var grad = p.grad;
                if (grad is null) continue;
                var state = (TensorState)_state[p.Handle];
                bool onCpu = UseFastPath && state.CpuKernelsApply(grad);
                if (onCpu) cpuVerdicts.Add(rule.Inspect(cpu, state.CpuView(grad), options, state.step + 1));
                else
                {
                    var view = state.TorchView();
                    view.Gradient = grad.dtype == ScalarType.Float32 ? grad : grad.to(ScalarType.Float32);
                    using var scope = torch.NewDisposeScope();
                    var verdict = rule.Inspect(torchOps, view, options, state.step + 1);
                    scope.MoveToOuter(verdict);
                    if (view.Pending is { } pending) scope.MoveToOuter(pending);
                    torchVerdicts.Add(verdict);
                }
                work.Add((p, grad, state, options, onCpu));
            }
        }
        if (Refused() is { } refused)
        {
            if (NonFinitePolicy == Engine.NonFinitePolicy.Throw) throw new Engine.NonFiniteGradientException(refused.ParameterName, refused.step + 1);
            SkippedSteps++;
            return loss!;
        }

        foreach (var (p, grad, state, options, onCpu) in work)
        {
            state.step++;
            if (onCpu)
            {
                rule.Update(cpu, state.CpuView(grad), options, state.step);
                FastPathParameters++;
            }
            else
            {
                using var scope = torch.NewDisposeScope();
                var view = state.TorchView();
                view.Parameter = p.dtype == ScalarType.Float32 ? p : p.to(ScalarType.Float32);
                rule.Update(torchOps, view, options, state.step);
                if (!ReferenceEquals(view.Parameter, p)) p.copy_(view.Parameter);
                view.Parameter = p;
            }
        }
        work.Clear();
        return loss!;
    }

    /// <summary>The first parameter, in step order, whose gradient a backend refused; null when every one is usable.</summary>
    private TensorState? Refused()
    {
        int onCpu = cpu.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(cpuVerdicts));
        int onTorch = torchOps.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(torchVerdicts));
        if (onCpu < 0 && onTorch < 0) return null;
        // Map each backend's index back to the step's order, and name the earliest.
        int cpuSeen = 0, torchSeen = 0;
        foreach (var (_, _, state, _, isCpu) in work)
        {
            if (isCpu ? cpuSeen++ == onCpu : torchSeen++ == onTorch) return state;
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
    }
}
