namespace CameSharp;

/// <summary>
/// Adafactor (Shazeer &amp; Stern, 2018) as in Hugging Face transformers; the algorithm is <see cref="AdafactorRule"/>:
/// a factored second moment for tensors of two or more dimensions (the same statistic CAME uses), decay
/// β2(t) = 1 − t^c, RMS clipping of the update, an optional momentum on the scaled update, and optionally a relative,
/// parameter-scaled step size.
/// </summary>
public sealed class Adafactor : Optimizer<AdafactorOptions>
{
    /// <summary>Creates Adafactor over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Adafactor(IEnumerable<Parameter> parameters, AdafactorOptions options)
        : this([new ParamGroup<AdafactorOptions>(parameters, options)])
    {
    }

    /// <summary>Creates Adafactor over several param groups, each with its own options.</summary>
    public Adafactor(IEnumerable<ParamGroup<AdafactorOptions>> paramGroups) : base(paramGroups, new AdafactorRule())
    {
    }

    /// <summary>
    /// The step size η_t a parameter takes at step <paramref name="step"/>: the relative step
    /// min(1e-2 or 1e-6·t, 1/√t) or the external learning rate, times max(ε2, RMS(p)) when scaling by the parameter.
    /// </summary>
    public static double StepSize(AdafactorOptions options, long step, double parameterRms)
    {
        double size = AdafactorRule.RelativeStepSize(options, step);
        return options.ScaleParameter ? Math.Max(parameterRms, options.Eps2) * size : size;
    }

    /// <summary>The second-moment decay β2(t) = 1 − t^c at step <paramref name="step"/>.</summary>
    public static double Beta2(AdafactorOptions options, long step) => AdafactorRule.Beta2(options, step);
}
