namespace CameSharp;

/// <summary>
/// Parameters that share hyperparameters, such as all weights with decay and all biases and norms without.
/// <see cref="Options"/> may be replaced between steps (a learning-rate schedule does
/// <c>group.Options = group.Options with { LearningRate = lr }</c>); new options are checked before they apply.
/// </summary>
public sealed class ParamGroup<TOptions> where TOptions : OptimizerOptions
{
    private readonly Parameter[] parameters;

    /// <summary>Creates a group of <paramref name="parameters"/> that steps with <paramref name="options"/>.</summary>
    public ParamGroup(IEnumerable<Parameter> parameters, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = parameters.ToArray();
        foreach (var p in this.parameters)
            if (p is null) throw new ArgumentException("parameters must not contain null.", nameof(parameters));
        Options = options;
    }

    /// <summary>The group's parameters, in the order they are stepped.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The parameters as an array, for loops that must not allocate an enumerator.</summary>
    internal Parameter[] ParameterArray => parameters;

    /// <summary>The group's hyperparameters.</summary>
    public TOptions Options
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            field = value;
        }
    }
}
