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
/// What CameSharp's TorchSharp optimizers share: torch.optim's shape (param groups, <c>step(closure)</c>,
/// <c>zero_grad</c>, state dicts, LR schedulers), hyperparameters checked by the engine, and two ways to step a
/// parameter. A contiguous float32 CPU parameter goes through the engine's fused kernels on the tensor's own memory;
/// any other (CUDA, float64, bfloat16, float16) through torch ops, with math and state in float32 and the result
/// written back in the parameter's dtype. Both update the same state tensors.
/// </summary>
/// <typeparam name="TEngineOptions">The engine's options record, which validates and supplies defaults.</typeparam>
public abstract partial class CameSharpOptimizer<TEngineOptions> : OptimizerHelper where TEngineOptions : Engine.OptimizerOptions
{
    private readonly Engine.Optimizer<TEngineOptions> host;
    private readonly List<(Parameter Param, Tensor Grad, TensorState State, TEngineOptions Options, bool Fast)> work = [];

    private protected CameSharpOptimizer(Engine.Optimizer<TEngineOptions> host, OptimizerOptions defaults)
    {
        this.host = host;
        _defaults = defaults;
        _parameter_groups = [];
    }

    /// <summary>What a step does with a non-finite gradient. Default <see cref="Engine.NonFinitePolicy.Throw"/>: nothing changes.</summary>
    public Engine.NonFinitePolicy NonFinitePolicy { get; set; } = Engine.NonFinitePolicy.Throw;

    /// <summary>Steps skipped under <see cref="Engine.NonFinitePolicy.SkipStep"/>.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Use the engine's fused kernels for contiguous float32 CPU parameters. Default true; false forces torch ops everywhere.</summary>
    public bool UseFastPath { get; set; } = true;

    /// <summary>Threads the fast path may use. Default: the processor count.</summary>
    public int DegreeOfParallelism
    {
        get => host.DegreeOfParallelism;
        set => host.DegreeOfParallelism = value;
    }

    /// <summary>Bytes of optimizer state held, over all parameters.</summary>
    public long StateBytes => _state.Values.OfType<TensorState>().Sum(s => s.Bytes);

    /// <summary>Parameters stepped through the engine's fused kernels in the last step.</summary>
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
        param_group.Parameters = parameters;
        _parameter_groups.Add(param_group);
        foreach (var p in parameters)
        {
            var state = NewState(p);
            state.Initialize(param_group.Options);
            _state[p.Handle] = state;
        }
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (torch.enable_grad()) loss = closure();

        using var noGrad = torch.no_grad();
        work.Clear();
        FastPathParameters = 0;
        // Inspect every gradient before anything changes, as the engine does.
        foreach (var group in _parameter_groups)
        {
            var options = ToEngine(group.Options);
            foreach (var p in group.Parameters)
            {
                var grad = p.grad;
                if (grad is null) continue;
                var state = (TensorState)_state[p.Handle];
                bool fast = UseFastPath && state.FastPathApplies(grad);
                bool usable;
                if (fast)
                {
                    var view = state.View(host, grad, options);
                    usable = host.Inspect(view.Parameter, view.State, options);
                }
                else usable = GradientIsUsable(grad);
                if (!usable)
                {
                    if (NonFinitePolicy == Engine.NonFinitePolicy.Throw) throw new Engine.NonFiniteGradientException(NameOf(p), state.step + 1);
                    SkippedSteps++;
                    return loss!;
                }
                work.Add((p, grad, state, options, fast));
            }
        }

        foreach (var (p, grad, state, options, fast) in work)
        {
            state.step++;
            if (fast)
            {
                var view = state.View(host, grad, options);
                view.State.Step = state.step;
                host.Update(view.Parameter, view.State, options);
                FastPathParameters++;
            }
            else
            {
                using var scope = torch.NewDisposeScope();
                var g = grad.dtype == ScalarType.Float32 ? grad : grad.to(ScalarType.Float32);
                var w = p.dtype == ScalarType.Float32 ? p : p.to(ScalarType.Float32);
                UpdateWithTorchOps(w, g, state, options);
                if (!ReferenceEquals(w, p)) p.copy_(w);
            }
        }
        work.Clear();
        return loss!;
    }

    /// <summary>Names a parameter in messages by its position, as torch.optim does.</summary>
    private string NameOf(Parameter p)
    {
        int index = 0;
        foreach (var q in parameters())
        {
            if (q.Handle == p.Handle) return $"param_groups parameter {index} [{string.Join(", ", p.shape)}]";
            index++;
        }
        return "parameter";
    }

    /// <summary>Finite, with a square finite in float32: the engine's test, in torch ops.</summary>
    private static bool GradientIsUsable(Tensor grad)
    {
        using var scope = torch.NewDisposeScope();
        // Two read-only reductions rather than abs(): max and min propagate NaN.
        float max = Math.Max(grad.max().to(ScalarType.Float32).item<float>(), -grad.min().to(ScalarType.Float32).item<float>());
        return float.IsFinite(max * max);
    }

    /// <summary>The engine's options for a group: validates, and supplies the engine's defaults for unset values.</summary>
    internal abstract TEngineOptions ToEngine(OptimizerOptions options);

    /// <summary>Writes the resolved hyperparameters back into the group's options, so that they show every value.</summary>
    internal abstract void WriteBack(TEngineOptions resolved, OptimizerOptions options);

    /// <summary>Fills unset values of <paramref name="options"/> from <paramref name="defaults"/>.</summary>
    internal abstract void FillDefaults(OptimizerOptions options, OptimizerOptions defaults);

    internal abstract OptimizerOptions NewOptions();

    internal abstract TensorState NewState(Parameter p);

    /// <summary>
    /// One step in torch ops, device-agnostic: <paramref name="param"/> and <paramref name="grad"/> are float32 on the
    /// parameter's device; <paramref name="state"/>.step has been advanced.
    /// </summary>
    internal abstract void UpdateWithTorchOps(Tensor param, Tensor grad, TensorState state, TEngineOptions options);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        foreach (var state in _state.Values.OfType<TensorState>()) state.Dispose();
        host.Dispose();
    }
}
