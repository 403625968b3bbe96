using CameSharp.Kernels;

namespace CameSharp;

/// <summary>
/// LAMB (You et al., 2019) as apex FusedLAMB: the bias-corrected Adam direction plus λ·p, scaled per parameter
/// by the trust ratio ‖p‖ / ‖r‖ (1 where either norm is 0). 8 bytes of state per parameter element.
/// </summary>
public sealed class Lamb : Optimizer<LambOptions>
{
    private readonly GradientScanJob scan = new();
    private readonly LambJob update = new();

    /// <summary>Creates LAMB over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Lamb(IEnumerable<Parameter> parameters, LambOptions options)
        : this([new ParamGroup<LambOptions>(parameters, options)])
    {
    }

    /// <summary>Creates LAMB over several param groups, each with its own options.</summary>
    public Lamb(IEnumerable<ParamGroup<LambOptions>> paramGroups) : base(paramGroups)
    {
    }

    /// <summary>A kernel host: steps tensors owned by the caller (see <see cref="Optimizer{TOptions}"/>).</summary>
    internal Lamb() : base([], kernelHost: true)
    {
    }

    /// <summary>The trust ratio ‖p‖ / ‖r‖, or 1 where either norm is 0.</summary>
    public static double TrustRatio(double parameterNorm, double updateNorm) =>
        parameterNorm > 0 && updateNorm > 0 ? parameterNorm / updateNorm : 1.0;

    internal override ParameterState CreateState(Parameter p, LambOptions options, StateAllocator allocate)
    {
        Workspace.Reserve(new FlatLayout(p.Length).ChunkCount);
        return new MomentsState(p, allocate);
    }

    internal override bool Inspect(Parameter p, ParameterState state, LambOptions options) =>
        scan.IsUsable(Runner, Workspace, p.Grad);

    internal override void Update(Parameter p, ParameterState s, LambOptions o)
    {
        var state = (MomentsState)s;
        var (updateSquares, paramSquares) = update.UpdateMoments(Runner, Workspace, p.Data, p.Grad, state.ExpAvg, state.ExpAvgSq,
            o.Beta1, o.Beta2, o.Eps, o.WeightDecay, state.Step);
        double trust = TrustRatio(Math.Sqrt(paramSquares), Math.Sqrt(updateSquares));
        // At η = 0 the parameters stay bitwise as they were: the pass would only turn −0 into +0, or 0·∞ into NaN.
        if (o.LearningRate != 0) update.Apply(Runner, (float)(o.LearningRate * trust));
    }
}
