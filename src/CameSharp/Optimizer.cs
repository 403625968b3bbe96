using CameSharp.Kernels;

namespace CameSharp;

/// <summary>
/// The common surface of CameSharp's optimizers: one <see cref="Step"/> updates every parameter that has a
/// gradient, in place, and consumes the gradients. Work inside a step runs on up to <see cref="DegreeOfParallelism"/>
/// threads, and its result is bitwise identical whatever that number is.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private protected Optimizer()
    {
    }

    /// <summary>The backend every step runs on.</summary>
    private protected CpuKernels Kernels { get; } = new();

    /// <summary>Threads a step may use, the caller's included. Default: the processor count; in [1, ∞).</summary>
    public int DegreeOfParallelism
    {
        get => Kernels.DegreeOfParallelism;
        set => Kernels.DegreeOfParallelism = value;
    }

    /// <summary>What a step does with a non-finite gradient. Default <see cref="NonFinitePolicy.Throw"/>.</summary>
    public NonFinitePolicy NonFinitePolicy
    {
        get;
        set => field = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(NonFinitePolicy), value, $"{nameof(NonFinitePolicy)} must be Throw or SkipStep; got {value}.");
    }

    /// <summary>Steps skipped under <see cref="NonFinitePolicy.SkipStep"/>.</summary>
    public long SkippedSteps { get; private protected set; }

    /// <summary>
    /// How full-size state is stored: <see cref="StateFormat.Float32"/> (the default, the reference's state bit for bit)
    /// or <see cref="StateFormat.Blockwise8Bit"/> (about 1 byte an element). Set it before the first step; a checkpoint
    /// loads only into an optimizer of the format it was saved from.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined format.</exception>
    /// <exception cref="InvalidOperationException">Set to another format after a step has created state.</exception>
    public StateFormat StateFormat
    {
        get;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(StateFormat), value, $"{nameof(StateFormat)} must be Float32 or Blockwise8Bit; got {value}.");
            if (value != field && HasState)
                throw new InvalidOperationException(
                    $"{nameof(StateFormat)} cannot change from {field} to {value} once steps have created state; set it before the first step.");
            field = value;
        }
    }

    /// <summary>Whether any parameter has state.</summary>
    private protected abstract bool HasState { get; }

    /// <summary>Bytes of per-parameter state held now (it is created at a parameter's first step).</summary>
    public abstract long StateBytes { get; }

    /// <summary>Bytes of scratch shared by all parameters during a step (column partial sums and the like), apart from <see cref="StateBytes"/>.</summary>
    public long WorkspaceBytes => Kernels.WorkspaceBytes;

    /// <summary>Every parameter of every group, in step order.</summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Updates every parameter that has a gradient, then consumes the gradients. All gradients are inspected before
    /// anything changes: a non-finite one is handled by <see cref="NonFinitePolicy"/> with parameters and state left
    /// untouched.
    /// </summary>
    /// <remarks>
    /// Every call consumes every gradient, whether the step is taken, skipped or refused with an exception: afterwards
    /// each <see cref="Parameter.Grad"/> is empty. A gradient is therefore used by one step only, and a parameter whose
    /// gradient is not set again before the next step (because computing it failed, say) is skipped by that step, as a
    /// parameter without a gradient always is, rather than stepped again with a stale one. The memory itself is the
    /// caller's and is left as it was: setting <c>Grad</c> to the same buffer each step costs nothing.
    /// </remarks>
    public abstract void Step();

    /// <summary>
    /// Saves the whole optimizer state (per-parameter tensors under the official PyTorch names, step counts, group
    /// hyperparameters, skipped steps) to a safetensors file, atomically: the data goes to a temporary file in the
    /// same folder (<c>.{file name}.{id}.tmp</c>), is flushed to disk, and only then replaces <paramref name="path"/>,
    /// so a crash mid-write leaves the previous checkpoint intact. A process killed mid-write leaves its temporary file;
    /// the next save to the same path removes it. Model parameters themselves are not saved.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder of <paramref name="path"/> cannot be written.</exception>
    /// <exception cref="IOException">The write failed (the disk is full, ...); the previous checkpoint is intact.</exception>
    public void Save(string path) => Checkpoints.OptimizerCheckpoint.SaveFile(path, Save);

    /// <summary>Writes the state as safetensors to a seekable stream (not atomic; see <see cref="Save(string)"/>).</summary>
    public abstract void Save(Stream stream);

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save(string)"/> for an optimizer of the same kind over parameters of the
    /// same names, groups and shapes. Names, shapes, dtypes, the layout of the data and its SHA-256 are all checked
    /// before anything changes: on any mismatch, or a truncated or corrupted file, this throws
    /// <see cref="Checkpoints.CheckpointException"/> and the optimizer is exactly as it was.
    /// </summary>
    public void Load(string path) => Checkpoints.OptimizerCheckpoint.LoadFile(path, Load);

    /// <summary>Loads a checkpoint from a stream; see <see cref="Load(string)"/>.</summary>
    public abstract void Load(Stream stream);

    /// <summary>Test hook: called after each tensor's bytes are written by <see cref="Save(Stream)"/>.</summary>
    internal Action<long>? AfterTensorWritten { get; set; }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        Kernels.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// An optimizer whose param groups carry <typeparamref name="TOptions"/>: it steps each parameter by its
/// <see cref="UpdateRule{TOptions}"/> on the CPU kernels, and owns what lies around the rule (groups, state memory,
/// the non-finite policy, checkpoints).
/// </summary>
public abstract partial class Optimizer<TOptions> : Optimizer where TOptions : OptimizerOptions
{
    private readonly UpdateRule<TOptions> rule;
    private readonly ParamGroup<TOptions>[] groups;
    private readonly Parameter[] parameters;
    private readonly Dictionary<Parameter, ParameterState> states = new(ReferenceEqualityComparer.Instance);
    private readonly List<Parameter> createdThisStep = [];
    private readonly List<Parameter> inspected = [];
    private readonly List<double> verdicts = [];

    /// <param name="paramGroups">The groups; at least one.</param>
    /// <param name="rule">The update rule each parameter steps by.</param>
    private protected Optimizer(IEnumerable<ParamGroup<TOptions>> paramGroups, UpdateRule<TOptions> rule)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        this.rule = rule;
        groups = paramGroups.ToArray();
        if (groups.Length == 0) throw new ArgumentException("at least one param group is required.", nameof(paramGroups));
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            if (group is null) throw new ArgumentException("param groups must not contain null.", nameof(paramGroups));
            foreach (var p in group.Parameters)
            {
                if (!seen.Add(p)) throw new ArgumentException($"parameter '{p.Name}' appears more than once.", nameof(paramGroups));
                if (!names.Add(p.Name)) throw new ArgumentException($"two parameters are named '{p.Name}'; names must be unique.", nameof(paramGroups));
            }
        }
        parameters = groups.SelectMany(g => g.Parameters).ToArray();
    }

    /// <summary>The param groups, in step order.</summary>
    public IReadOnlyList<ParamGroup<TOptions>> ParamGroups => groups;

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => parameters;

    /// <inheritdoc/>
    public override long StateBytes
    {
        get
        {
            long total = 0;
            foreach (var s in states.Values) total += s.Bytes;
            return total;
        }
    }

    /// <inheritdoc/>
    private protected override bool HasState => states.Count > 0;

    /// <summary>Steps taken by <paramref name="parameter"/> so far (0 before its first).</summary>
    public long StepCount(Parameter parameter) => states.TryGetValue(parameter, out var s) ? s.Step : 0;

    /// <inheritdoc/>
    public override void Step()
    {
        try
        {
            StepWithGradients();
        }
        finally
        {
            // Whatever happened, these gradients have had their step: none may be taken again by accident.
            foreach (var p in parameters) p.ClearGrad();
        }
    }

    private void StepWithGradients()
    {
        // Every gradient is read before anything changes; a refusal (or an error) forgets the states this step created.
        createdThisStep.Clear();
        inspected.Clear();
        verdicts.Clear();
        Kernels.BeginStep();
        try
        {
            foreach (var group in groups)
            {
                foreach (var p in group.ParameterArray)
                {
                    if (!p.HasGrad) continue;
                    if (!states.TryGetValue(p, out var state))
                    {
                        state = CreateState(p, rule.StateLayout(p.Shape, group.Options, StateFormat));
                        states.Add(p, state);
                        createdThisStep.Add(p);
                    }
                    var tensor = state.View;
                    tensor.Parameter = p.Data;
                    tensor.Gradient = p.Grad;
                    inspected.Add(p);
                    verdicts.Add(rule.Inspect(Kernels, tensor, group.Options, state.Step + 1));
                }
            }
        }
        catch
        {
            ForgetCreated();
            throw;
        }
        if (Kernels.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(verdicts)) is var refused and >= 0)
        {
            var p = inspected[refused];
            Refuse(p, states[p].Step + 1);
            return;
        }

        foreach (var group in groups)
        {
            foreach (var p in group.ParameterArray)
            {
                if (!p.HasGrad) continue;
                var state = states[p];
                state.Step++;
                rule.Update(Kernels, state.View, group.Options, state.Step);
            }
        }
    }

    private void Refuse(Parameter p, long step)
    {
        ForgetCreated();
        if (NonFinitePolicy == NonFinitePolicy.Throw) throw new NonFiniteGradientException(p.Name, step);
        SkippedSteps++;
    }

    private void ForgetCreated()
    {
        foreach (var created in createdThisStep) states.Remove(created);
        createdThisStep.Clear();
    }

    internal IReadOnlyDictionary<Parameter, ParameterState> States => states;

    /// <summary>Allocates a parameter's state for <paramref name="layout"/> (staggered from its data) and reserves the kernels' scratch.</summary>
    private ParameterState CreateState(Parameter p, IReadOnlyList<StateTensorSpec> layout)
    {
        var allocate = StateMemory.For(p);
        Kernels.Reserve(p.Shape);
        return new ParameterState(new TensorStep<Memory<float>, double>(p.Name, p.Shape, p.Data, layout,
            layout.Select(spec => allocate(spec.Name, [spec.StorageLength])), Array.IndexOf(parameters, p)));
    }

    /// <summary>The state a parameter takes when loaded from a file that holds the tensors for which <paramref name="fileHasTensor"/> is true.</summary>
    internal ParameterState CreateLoadedState(Parameter p, TOptions options, Func<string, bool> fileHasTensor) =>
        CreateState(p, rule.LoadedStateLayout(p.Shape, options, fileHasTensor, StateFormat));
}
