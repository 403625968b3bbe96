namespace CameSharp;

/// <summary>
/// The hyperparameters of one param group. Each property checks its own range when set; rules that tie
/// several properties together are checked when the options are given to a <see cref="ParamGroup{TOptions}"/>.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>Checks rules that involve more than one property; throws <see cref="ArgumentException"/> naming them.</summary>
    internal virtual void Validate() { }
}
