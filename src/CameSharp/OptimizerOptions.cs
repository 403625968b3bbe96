using System.Text.Json.Nodes;

namespace CameSharp;

/// <summary>
/// The hyperparameters of one param group. Each property checks its own range when set; rules that tie
/// several properties together are checked when the options are given to a <see cref="ParamGroup{TOptions}"/>.
/// Each optimizer declares its hyperparameters once, in a <see cref="HyperparameterSet{TOptions}"/>.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>The optimizer these options belong to, as the references name it: came, adafactor, adamw or lamb.</summary>
    public string OptimizerName => Declarations.OptimizerName;

    /// <summary>The optimizers: <see cref="FromReference"/> finds one by name, the options' own members by type.</summary>
    private static IHyperparameterSet[] Known =>
        [CameOptions.Hyperparameters, AdafactorOptions.Hyperparameters, AdamWOptions.Hyperparameters, LambOptions.Hyperparameters];

    /// <summary>
    /// The hyperparameters under the reference implementations' names (<c>lr</c>, <c>betas</c>, <c>eps</c>,
    /// <c>clip_threshold</c>, <c>weight_decay</c>, ...), as torch.optim param groups and checkpoints spell them.
    /// </summary>
    public JsonObject ToReference() => Declarations.ToReference(this);

    /// <summary>
    /// Options for <paramref name="optimizer"/> (came, adafactor, adamw, lamb) from hyperparameters under the reference's
    /// names; a missing key takes the reference default. Throws <see cref="ArgumentException"/> for an unknown optimizer
    /// or key, and <see cref="ArgumentOutOfRangeException"/> for a value out of range.
    /// </summary>
    public static OptimizerOptions FromReference(string optimizer, JsonObject hyper)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(hyper);
        var known = Known;
        var declarations = known.FirstOrDefault(k => k.OptimizerName == optimizer)
            ?? throw new ArgumentException(
                $"unknown optimizer '{optimizer}'; known: {string.Join(", ", known.Select(k => k.OptimizerName))}.", nameof(optimizer));
        return declarations.FromReference(hyper);
    }

    /// <summary>The declarations of this optimizer's hyperparameters.</summary>
    private IHyperparameterSet Declarations => Known.First(k => k.OptionsType == GetType());

    /// <summary>Checks rules that involve more than one property; throws <see cref="ArgumentException"/> naming them.</summary>
    internal virtual void Validate() { }
}
