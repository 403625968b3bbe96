namespace CameSharp;

/// <summary>
/// Adafactor's step for one tensor (Shazeer &amp; Stern, 2018, as Hugging Face transformers runs it): a factored
/// second moment for tensors of two or more dimensions (the statistic CAME also uses), decay β2(t) = 1 − t^c, RMS
/// clipping of the update, an optional momentum on the scaled update, and optionally a relative step size scaled by
/// the parameter's RMS.
/// </summary>
public sealed class AdafactorRule : UpdateRule<AdafactorOptions>
{
    /// <inheritdoc/>
    /// <remarks>exp_avg when <see cref="AdafactorOptions.Beta1"/> is set; then exp_avg_sq_row/_col with their scratch, or exp_avg_sq for a 1-D tensor.</remarks>
    public override IReadOnlyList<StateTensorSpec> StateLayout(ReadOnlySpan<int> shape, AdafactorOptions options,
        StateFormat format = StateFormat.Float32) =>
        Layout(shape, options.Beta1 is not null, format);

    /// <inheritdoc/>
    /// <remarks>A loaded state keeps its momentum if the file has one, even when Beta1 has since been switched off.</remarks>
    public override IReadOnlyList<StateTensorSpec> LoadedStateLayout(ReadOnlySpan<int> shape, AdafactorOptions options, Func<string, bool> saved,
        StateFormat format = StateFormat.Float32) =>
        Layout(shape, options.Beta1 is not null || saved("exp_avg") || saved("exp_avg" + StateTensorSpec.CodesSuffix), format);

    private static StateTensorSpec[] Layout(ReadOnlySpan<int> shape, bool momentum, StateFormat format)
    {
        StateTensorSpec[] moment = shape.Length >= 2 ? [.. StateTensorSpec.FactoredStatistic("exp_avg_sq", shape)] : [new("exp_avg_sq", shape.ToArray())];
        // A factored pass updates the momentum row by row, so its 8-bit blocks restart at each row.
        int rowLength = Math.Max(1, shape.Length >= 2 ? shape[^1] : shape.Length == 1 ? shape[0] : 1);
        return momentum ? [.. StateTensorSpec.FullSize("exp_avg", shape, format, signed: true, rowLength), .. moment] : moment;
    }

    /// <summary>
    /// The step size η_t before any parameter scaling: the relative step min(1e-2, or 1e-6·t with warmup, 1/√t), or
    /// the external learning rate.
    /// </summary>
    public static double RelativeStepSize(AdafactorOptions options, long step)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.RelativeStep
            ? Math.Min(options.WarmupInit ? 1e-6 * step : 1e-2, 1.0 / Math.Sqrt(step))
            : options.LearningRate!.Value;
    }

    /// <summary>The second-moment decay β2(t) = 1 − t^c at step <paramref name="step"/>.</summary>
    public static double Beta2(AdafactorOptions options, long step)
    {
        ArgumentNullException.ThrowIfNull(options);
        return 1.0 - Math.Pow(step, options.DecayRate);
    }

    /// <inheritdoc/>
    public override TScalar Inspect<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, AdafactorOptions o, long step)
    {
        if (o.Beta1 is not null && !t.HasMoment("exp_avg"))
            throw new InvalidOperationException(
                $"parameter '{t.Name}' started without momentum (Beta1 = null); Beta1 cannot be switched on after its first step.");
        if (!t.IsFactored) return k.IsUsable(t.Gradient);
        var v = t.Factored("exp_avg_sq");
        t.Pending = k.FactoredSquareMeans(t.Gradient, v, (float)o.Eps1, Beta2(o, step));
        return k.MeansAreFinite(v);
    }

    /// <inheritdoc/>
    public override void Update<TTensor, TScalar>(IKernels<TTensor, TScalar> k, TensorStep<TTensor, TScalar> t, AdafactorOptions o, long step)
    {
        // η_t, times max(ε2, RMS(θ)) when the step is relative to the parameter's scale.
        double size = RelativeStepSize(o, step);
        var lr = o.ScaleParameter ? k.Multiply(k.Max(k.Rms(t.Parameter), o.Eps2), k.Scalar(size)) : k.Scalar(size);
        double beta2 = Beta2(o, step);
        // The momentum holds updates already scaled by η (as in transformers), so at η = 0 the parameters still move
        // through it; without it they stay bitwise as they were, the state alone advancing.
        bool moves = size != 0 || o.Beta1 is not null;
        bool momentum = o.Beta1 is not null;
        var m = momentum ? t.Moment("exp_avg", step) : default;
        var decay = k.Multiply(lr, k.Scalar(o.WeightDecay));
        if (t.IsFactored)
        {
            // v_t = r_t c_t / 1ᵀr_t; u_t = η_t · clip(g / √v_t); m_t = β1 m + (1 − β1) u_t; θ_t = θ − ηλθ − m_t (or u_t).
            var v = t.Factored("exp_avg_sq");
            k.CommitFactored(v, beta2);
            if (!moves) return;
            var scale = k.Multiply(k.ClipScale(t.Pending, t.Length, o.ClipThreshold), lr);
            k.AdafactorStep(t.Parameter, t.Gradient, v, scale, momentum, m, o.Beta1 ?? 0, decay);
        }
        else
        {
            var v = t["exp_avg_sq"];
            var squares = k.SecondMoment(t.Gradient, v, beta2, (float)o.Eps1);
            if (!moves) return;
            var scale = k.Multiply(k.ClipScale(squares, t.Length, o.ClipThreshold), lr);
            k.AdafactorStep(t.Parameter, t.Gradient, v, scale, momentum, m, o.Beta1 ?? 0, decay);
        }
    }
}
