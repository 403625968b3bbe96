using System.Numerics.Tensors;
using CameSharp.Kernels;

namespace CameSharp;

/// <summary>
/// Adafactor (Shazeer &amp; Stern, 2018) as in Hugging Face transformers: a factored second moment for tensors
/// of two or more dimensions (the same statistic CAME uses), decay β2(t) = 1 − t^c, RMS clipping of the update,
/// an optional momentum on the scaled update, and optionally a relative, parameter-scaled step size.
/// </summary>
public sealed class Adafactor : Optimizer<AdafactorOptions>
{
    private readonly GradientScanJob scan = new();
    private readonly SquareMeansJob squareMeans = new();
    private readonly AdafactorApplyJob apply = new();
    private readonly FullSecondMomentJob fullSecondMoment = new();
    private readonly UnfactoredApplyJob unfactoredApply = new();

    /// <summary>Creates Adafactor over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Adafactor(IEnumerable<Parameter> parameters, AdafactorOptions options)
        : this([new ParamGroup<AdafactorOptions>(parameters, options)])
    {
    }

    /// <summary>Creates Adafactor over several param groups, each with its own options.</summary>
    public Adafactor(IEnumerable<ParamGroup<AdafactorOptions>> paramGroups) : base(paramGroups)
    {
    }

    /// <summary>A kernel host: steps tensors owned by the caller (see <see cref="Optimizer{TOptions}"/>).</summary>
    internal Adafactor() : base([], kernelHost: true)
    {
    }

    /// <summary>
    /// The step size η_t a parameter takes at step <paramref name="step"/>: the relative step
    /// min(1e-2 or 1e-6·t, 1/√t) or the external learning rate, times max(ε2, RMS(p)) when scaling by the parameter.
    /// </summary>
    public static double StepSize(AdafactorOptions options, long step, double parameterRms)
    {
        ArgumentNullException.ThrowIfNull(options);
        double size = options.RelativeStep
            ? Math.Min(options.WarmupInit ? 1e-6 * step : 1e-2, 1.0 / Math.Sqrt(step))
            : options.LearningRate!.Value;
        return options.ScaleParameter ? Math.Max(options.Eps2, parameterRms) * size : size;
    }

    /// <summary>The second-moment decay β2(t) = 1 − t^c at step <paramref name="step"/>.</summary>
    public static double Beta2(AdafactorOptions options, long step)
    {
        ArgumentNullException.ThrowIfNull(options);
        return 1.0 - Math.Pow(step, options.DecayRate);
    }

    /// <summary>The state tensors of a parameter of <paramref name="shape"/>, by the official names, in order.</summary>
    internal static IEnumerable<(string Name, int[] Shape)> StateLayout(int[] shape, bool momentum)
    {
        if (momentum) yield return ("exp_avg", shape);
        if (shape.Length >= 2)
        {
            yield return ("exp_avg_sq_row", ParameterState.RowShape(shape));
            yield return ("exp_avg_sq_col", ParameterState.ColShape(shape));
        }
        else
        {
            yield return ("exp_avg_sq", shape);
        }
    }

    internal override ParameterState CreateState(Parameter p, AdafactorOptions options, StateAllocator allocate)
    {
        var state = new AdafactorState(p, options.Beta1 is not null, allocate);
        Workspace.ReserveSecondMoment(state.SecondMoment, p.Length);
        return state;
    }

    /// <summary>A loaded state keeps its momentum if the file has one, even when Beta1 has since been switched off.</summary>
    internal override ParameterState CreateLoadedState(Parameter p, AdafactorOptions options, Func<string, bool> fileHasTensor)
    {
        var state = new AdafactorState(p, options.Beta1 is not null || fileHasTensor("exp_avg"), StateMemory.For(p));
        Workspace.ReserveSecondMoment(state.SecondMoment, p.Length);
        return state;
    }

    internal override bool Inspect(Parameter p, ParameterState s, AdafactorOptions o)
    {
        var state = (AdafactorState)s;
        if (state.SecondMoment is not { } v) return scan.IsUsable(Runner, Workspace, p.Grad);
        // The step about to be taken is state.Step + 1, whose decay the first pass needs to foresee the update's RMS.
        state.UpdateSquares = squareMeans.Execute(Runner, Workspace, p.Grad, (float)o.Eps1, Beta2(o, state.Step + 1), v);
        return v.MeansAreFinite();
    }

    internal override void Update(Parameter p, ParameterState s, AdafactorOptions o)
    {
        var state = (AdafactorState)s;
        if (o.Beta1 is not null && state.ExpAvg.IsEmpty)
            throw new InvalidOperationException(
                $"parameter '{p.Name}' started without momentum (Beta1 = null); Beta1 cannot be switched on after its first step.");
        double rms = o.ScaleParameter ? TensorPrimitives.Norm(p.Data.Span) / Math.Sqrt(p.Length) : 0;
        double stepSize = StepSize(o, state.Step, rms);
        float lr = (float)stepSize;
        // The parameters move at η = 0 only through the momentum, which holds updates already scaled by η (as in
        // transformers); without it they stay bitwise as they were, the state alone advancing.
        bool moves = stepSize != 0 || o.Beta1 is not null;
        double beta2 = Beta2(o, state.Step);
        double beta1 = o.Beta1 ?? 0;
        Memory<float> momentum = o.Beta1 is null ? Memory<float>.Empty : state.ExpAvg;
        float decay = (float)o.WeightDecay;
        if (state.SecondMoment is { } v)
        {
            v.Commit(beta2);
            if (!moves) return;
            float clip = RmsClip.Scale(state.UpdateSquares, p.Length, o.ClipThreshold);
            apply.Execute(Runner, p.Data, p.Grad, v, clip, lr, momentum, beta1, decay);
        }
        else
        {
            double squares = fullSecondMoment.Execute(Runner, Workspace, p.Grad, state.ExpAvgSq, Workspace.Elements, beta2, (float)o.Eps1);
            if (!moves) return;
            float clip = RmsClip.Scale(squares, p.Length, o.ClipThreshold);
            unfactoredApply.ExecuteAdafactor(Runner, p.Data, p.Grad, Workspace.Elements, clip, momentum, beta1, lr, decay);
        }
    }
}

internal sealed class AdafactorState : ParameterState
{
    private readonly StateTensor[] tensors;

    public AdafactorState(Parameter p, bool momentum, StateAllocator allocate)
    {
        var shape = p.GetShape();
        tensors = AllocateAll(Adafactor.StateLayout(shape, momentum), allocate);
        ExpAvg = Find(tensors, "exp_avg");
        ExpAvgSq = Find(tensors, "exp_avg_sq");
        SecondMoment = Factored(tensors, "exp_avg_sq", shape);
    }

    /// <summary>The momentum; empty without Beta1.</summary>
    public Memory<float> ExpAvg { get; }
    public FactoredMoment? SecondMoment { get; }

    /// <summary>The full second moment of a 1-D tensor; empty for a factored one.</summary>
    public Memory<float> ExpAvgSq { get; }

    /// <summary>Σ u² of this step's unclipped update (factored tensors), found by the first pass, used by the clip.</summary>
    public double UpdateSquares { get; set; }

    public override long Bytes => 4L * ExpAvg.Length + (SecondMoment?.Bytes ?? 0) + 4L * ExpAvgSq.Length;

    public override IReadOnlyList<StateTensor> Tensors => tensors;
}
