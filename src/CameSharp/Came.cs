using CameSharp.Kernels;

namespace CameSharp;

/// <summary>
/// CAME: Confidence-guided Adaptive Memory Efficient optimization (Luo et al., ACL 2023), exact to the official
/// <c>came_pytorch</c>. A tensor of two or more dimensions is factored over its last two (batched over the
/// rest): its second moment and its instability are each kept as a row and a column vector, so CAME holds
/// 4RC + 16(R + C) bytes for an R × C matrix against AdamW's 8RC. A 1-D tensor keeps a full second moment and,
/// as in the official code, skips the confidence step. No bias correction unless <see cref="CameOptions.BiasCorrection"/> asks for it.
/// </summary>
public sealed class Came : Optimizer<CameOptions>
{
    private readonly GradientScanJob scan = new();
    private readonly SquareMeansJob squareMeans = new();
    private readonly CameMomentumJob momentumAndInstability = new();
    private readonly CameApplyJob apply = new();
    private readonly FullSecondMomentJob fullSecondMoment = new();
    private readonly UnfactoredApplyJob unfactoredApply = new();

    /// <summary>Creates CAME over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Came(IEnumerable<Parameter> parameters, CameOptions options)
        : this([new ParamGroup<CameOptions>(parameters, options)])
    {
    }

    /// <summary>Creates CAME over several param groups, each with its own options.</summary>
    public Came(IEnumerable<ParamGroup<CameOptions>> paramGroups) : base(paramGroups)
    {
    }

    /// <summary>A kernel host: steps tensors owned by the caller (see <see cref="Optimizer{TOptions}"/>).</summary>
    internal Came() : base([], kernelHost: true)
    {
    }

    /// <summary>The state tensors of a parameter of <paramref name="shape"/>, by the official names, in order.</summary>
    internal static IEnumerable<(string Name, int[] Shape)> StateLayout(int[] shape)
    {
        yield return ("exp_avg", shape);
        if (shape.Length >= 2)
        {
            yield return ("exp_avg_sq_row", ParameterState.RowShape(shape));
            yield return ("exp_avg_sq_col", ParameterState.ColShape(shape));
            yield return ("exp_avg_res_row", ParameterState.RowShape(shape));
            yield return ("exp_avg_res_col", ParameterState.ColShape(shape));
        }
        else
        {
            yield return ("exp_avg_sq", shape);
        }
    }

    internal override ParameterState CreateState(Parameter p, CameOptions options, StateAllocator allocate)
    {
        var state = new CameState(p, allocate);
        Workspace.ReserveSecondMoment(state.SecondMoment, p.Length);
        return state;
    }

    internal override bool Inspect(Parameter p, ParameterState s, CameOptions o)
    {
        var state = (CameState)s;
        if (state.SecondMoment is not { } v) return scan.IsUsable(Runner, Workspace, p.Grad);
        state.UpdateSquares = squareMeans.Execute(Runner, Workspace, p.Grad, (float)o.Eps1, o.Beta2, v);
        return v.MeansAreFinite();
    }

    internal override void Update(Parameter p, ParameterState s, CameOptions o)
    {
        var state = (CameState)s;
        // With bias correction, each statistic is divided by 1 − β^t where it is used (scalars; see CameBiasCorrection).
        var correction = CameBiasCorrection.At(o, state.Step);
        float lr = (float)o.LearningRate, decay = (float)o.WeightDecay;
        if (state.SecondMoment is { } v && state.Instability is { } instability)
        {
            // r_t, c_t ← β2-EMAs of the row and column means of g² + ε1 (taken in Inspect); v_t = r_t c_t / 1ᵀr_t.
            v.Commit(o.Beta2);
            // u_t = g / √v_t, clipped: û_t = u_t / max(1, RMS(u_t) / d), with Σ u_t² also found in Inspect.
            float clip = correction.ClipScale(state.UpdateSquares, p.Length, o.ClipThreshold);
            // m_t = β1 m + (1 − β1) û_t; instability U_t = (û_t − m_t)² + ε2 into R_t, C_t (β3-EMAs).
            momentumAndInstability.Execute(Runner, Workspace, p.Grad, v, clip, state.ExpAvg, o.Beta1, (float)o.Eps2, instability);
            // S_t = R_t C_t / 1ᵀR_t; θ_t = θ − ηλθ − η m_t / √S_t.
            instability.Commit(o.Beta3);
            float stepSize = (float)(o.LearningRate * correction.MomentumScale * correction.ConfidenceScale);
            // At η = 0 the parameters stay bitwise as they were: the pass would only turn −0 into +0, or 0·∞ into NaN.
            if (o.LearningRate != 0) apply.Execute(Runner, p.Data, state.ExpAvg, instability, lr, decay, stepSize);
        }
        else
        {
            double squares = fullSecondMoment.Execute(Runner, Workspace, p.Grad, state.ExpAvgSq, Workspace.Elements,
                o.Beta2, (float)o.Eps1);
            float clip = correction.ClipScale(squares, p.Length, o.ClipThreshold);
            float stepSize = (float)(o.LearningRate * correction.MomentumScale);
            unfactoredApply.ExecuteCame(Runner, p.Data, p.Grad, Workspace.Elements, clip, state.ExpAvg, o.Beta1, lr, decay, stepSize,
                moveParameters: o.LearningRate != 0);
        }
    }
}

internal sealed class CameState : ParameterState
{
    private readonly StateTensor[] tensors;

    public CameState(Parameter p, StateAllocator allocate)
    {
        var shape = p.GetShape();
        tensors = AllocateAll(Came.StateLayout(shape), allocate);
        ExpAvg = Find(tensors, "exp_avg");
        ExpAvgSq = Find(tensors, "exp_avg_sq");
        SecondMoment = Factored(tensors, "exp_avg_sq", shape);
        Instability = Factored(tensors, "exp_avg_res", shape);
    }

    /// <summary>m, the momentum of the clipped update.</summary>
    public Memory<float> ExpAvg { get; }

    /// <summary>The factored second moment (tensors of two or more dimensions).</summary>
    public FactoredMoment? SecondMoment { get; }

    /// <summary>The factored instability (tensors of two or more dimensions).</summary>
    public FactoredMoment? Instability { get; }

    /// <summary>The full second moment (1-D tensors).</summary>
    public Memory<float> ExpAvgSq { get; }

    /// <summary>Σ u² of this step's unclipped update (factored tensors), found by the first pass, used by the clip.</summary>
    public double UpdateSquares { get; set; }

    public override long Bytes =>
        4L * ExpAvg.Length + (SecondMoment?.Bytes ?? 0) + (Instability?.Bytes ?? 0) + 4L * ExpAvgSq.Length;

    public override IReadOnlyList<StateTensor> Tensors => tensors;
}
