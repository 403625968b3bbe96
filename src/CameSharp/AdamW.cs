using CameSharp.Kernels;

namespace CameSharp;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, 2019) exactly as torch.optim.AdamW: decoupled decay, bias correction, ε outside
/// the square root. One fused pass; 8 bytes of state per parameter element.
/// </summary>
public sealed class AdamW : Optimizer<AdamWOptions>
{
    private readonly GradientScanJob scan = new();
    private readonly AdamWJob update = new();

    /// <summary>Creates AdamW over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions options)
        : this([new ParamGroup<AdamWOptions>(parameters, options)])
    {
    }

    /// <summary>Creates AdamW over several param groups, each with its own options.</summary>
    public AdamW(IEnumerable<ParamGroup<AdamWOptions>> paramGroups) : base(paramGroups)
    {
    }

    internal override ParameterState CreateState(Parameter p, AdamWOptions options, StateAllocator allocate)
    {
        Workspace.Reserve(new FlatLayout(p.Length).ChunkCount);
        return new MomentsState(p, allocate);
    }

    internal override bool Inspect(Parameter p, ParameterState state, AdamWOptions options) =>
        scan.IsUsable(Runner, Workspace, p.Grad);

    internal override void Update(Parameter p, ParameterState s, AdamWOptions o)
    {
        var state = (MomentsState)s;
        update.Execute(Runner, p.Data, p.Grad, state.ExpAvg, state.ExpAvgSq, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, state.Step);
    }
}

/// <summary>Adam's two full moments, as AdamW and LAMB keep them.</summary>
internal sealed class MomentsState : ParameterState
{
    private readonly StateTensor[] tensors;

    public MomentsState(Parameter p, StateAllocator allocate)
    {
        tensors = AllocateAll(Layout(p.GetShape()), allocate);
        ExpAvg = Find(tensors, "exp_avg");
        ExpAvgSq = Find(tensors, "exp_avg_sq");
    }

    /// <summary>The state tensors of a parameter of <paramref name="shape"/>: Adam's two moments.</summary>
    public static IEnumerable<(string Name, int[] Shape)> Layout(int[] shape) => [("exp_avg", shape), ("exp_avg_sq", shape)];

    public Memory<float> ExpAvg { get; }
    public Memory<float> ExpAvgSq { get; }
    public override long Bytes => 8L * ExpAvg.Length;
    public override IReadOnlyList<StateTensor> Tensors => tensors;
}
