namespace CameSharp.TorchSharp;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// Factories in torch.optim's style: <c>Optim.Came(model.parameters(), lr: 2e-4)</c> where you had
/// <c>torch.optim.AdamW(model.parameters(), lr: 3e-4)</c>. An argument left null takes the reference default
/// (stated on each); per-group values in <c>ParamGroup</c> options override these.
/// </summary>
public static class Optim
{
    /// <summary>CAME over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate η; required, in [0, ∞) (at 0 the state advances and the parameters stay). The authors advise 0.5–0.9× what AdamW would use; in runs of thousands of steps that holds with <paramref name="bias_correction"/>, while the official algorithm wants several times less.</param>
    /// <param name="beta1">β1, momentum decay (default 0.9).</param>
    /// <param name="beta2">β2, second-moment decay (default 0.999).</param>
    /// <param name="beta3">β3, instability decay (default 0.9999; keep β3 &gt; β2).</param>
    /// <param name="eps1">ε1, added to g² (default 1e-30).</param>
    /// <param name="eps2">ε2, added to the instability (default 1e-16).</param>
    /// <param name="clip_threshold">d, the RMS clipping threshold (default 1.0).</param>
    /// <param name="weight_decay">λ, decoupled weight decay (default 0).</param>
    /// <param name="bias_correction">
    /// Adam-style bias correction of the momentum, second moment and instability where they are used (default false:
    /// the official algorithm). With it, CAME's best learning rate in short runs is close to AdamW's.
    /// </param>
    public static Came Came(IEnumerable<Parameter> parameters, double lr, double? beta1 = null, double? beta2 = null, double? beta3 = null,
        double? eps1 = null, double? eps2 = null, double? clip_threshold = null, double? weight_decay = null, bool? bias_correction = null) =>
        Came([new Came.ParamGroup(parameters)], lr, beta1, beta2, beta3, eps1, eps2, clip_threshold, weight_decay, bias_correction);

    /// <summary>CAME over param groups; the arguments are the defaults of groups that leave a value unset.</summary>
    public static Came Came(IEnumerable<Came.ParamGroup> groups, double lr, double? beta1 = null, double? beta2 = null, double? beta3 = null,
        double? eps1 = null, double? eps2 = null, double? clip_threshold = null, double? weight_decay = null, bool? bias_correction = null) =>
        new(groups, new Came.Options
        {
            LearningRate = lr, beta1 = beta1, beta2 = beta2, beta3 = beta3, eps1 = eps1, eps2 = eps2,
            clip_threshold = clip_threshold, weight_decay = weight_decay, bias_correction = bias_correction,
        });

    /// <summary>Adafactor over <paramref name="parameters"/>, with transformers' defaults (relative step, parameter scaling).</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">External learning rate, in [0, ∞); only with <paramref name="relative_step"/> false (default none).</param>
    /// <param name="eps1">ε1, added to g² (default 1e-30).</param>
    /// <param name="eps2">ε2, the least parameter scale (default 1e-3).</param>
    /// <param name="clip_threshold">d, the RMS clipping threshold (default 1.0).</param>
    /// <param name="decay_rate">c in β2(t) = 1 − t^c (default −0.8).</param>
    /// <param name="beta1">β1 of the optional momentum (default none).</param>
    /// <param name="weight_decay">λ, decoupled weight decay (default 0).</param>
    /// <param name="scale_parameter">Scale the step by RMS(p) (default true).</param>
    /// <param name="relative_step">Relative step size min(1e-2, 1/√t) (default true).</param>
    /// <param name="warmup_init">Warm the relative step up from 1e-6 (default false).</param>
    public static Adafactor Adafactor(IEnumerable<Parameter> parameters, double? lr = null, double? eps1 = null, double? eps2 = null,
        double? clip_threshold = null, double? decay_rate = null, double? beta1 = null, double? weight_decay = null,
        bool? scale_parameter = null, bool? relative_step = null, bool? warmup_init = null) =>
        Adafactor([new Adafactor.ParamGroup(parameters)], lr, eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay,
            scale_parameter, relative_step, warmup_init);

    /// <summary>Adafactor over param groups; the arguments are the defaults of groups that leave a value unset.</summary>
    public static Adafactor Adafactor(IEnumerable<Adafactor.ParamGroup> groups, double? lr = null, double? eps1 = null, double? eps2 = null,
        double? clip_threshold = null, double? decay_rate = null, double? beta1 = null, double? weight_decay = null,
        bool? scale_parameter = null, bool? relative_step = null, bool? warmup_init = null) =>
        new(groups, new Adafactor.Options
        {
            LearningRate = lr, eps1 = eps1, eps2 = eps2, clip_threshold = clip_threshold, decay_rate = decay_rate, beta1 = beta1,
            weight_decay = weight_decay, scale_parameter = scale_parameter, relative_step = relative_step, warmup_init = warmup_init,
        });

    /// <summary>LAMB over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate η (default 1e-3), in [0, ∞).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-6).</param>
    /// <param name="weight_decay">λ (default 0.01).</param>
    public static Lamb Lamb(IEnumerable<Parameter> parameters, double? lr = null, double? beta1 = null, double? beta2 = null,
        double? eps = null, double? weight_decay = null) =>
        Lamb([new Lamb.ParamGroup(parameters)], lr, beta1, beta2, eps, weight_decay);

    /// <summary>LAMB over param groups; the arguments are the defaults of groups that leave a value unset.</summary>
    public static Lamb Lamb(IEnumerable<Lamb.ParamGroup> groups, double? lr = null, double? beta1 = null, double? beta2 = null,
        double? eps = null, double? weight_decay = null) =>
        new(groups, new Lamb.Options { LearningRate = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay });

    /// <summary>AdamW over <paramref name="parameters"/>, exactly as torch.optim.AdamW, in one fused pass.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate η (default 1e-3), in [0, ∞).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8).</param>
    /// <param name="weight_decay">λ, decoupled weight decay (default 0.01).</param>
    public static AdamW AdamW(IEnumerable<Parameter> parameters, double? lr = null, double? beta1 = null, double? beta2 = null,
        double? eps = null, double? weight_decay = null) =>
        AdamW([new AdamW.ParamGroup(parameters)], lr, beta1, beta2, eps, weight_decay);

    /// <summary>AdamW over param groups; the arguments are the defaults of groups that leave a value unset.</summary>
    public static AdamW AdamW(IEnumerable<AdamW.ParamGroup> groups, double? lr = null, double? beta1 = null, double? beta2 = null,
        double? eps = null, double? weight_decay = null) =>
        new(groups, new AdamW.Options { LearningRate = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay });
}
