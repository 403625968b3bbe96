namespace CameSharp.Tests;

/// <summary>Builds the engine optimizer that an options record belongs to.</summary>
internal static class Optimizers
{
    public static Optimizer Create(IEnumerable<Parameter> parameters, OptimizerOptions options) => options switch
    {
        CameOptions o => new Came(parameters, o),
        AdafactorOptions o => new Adafactor(parameters, o),
        AdamWOptions o => new AdamW(parameters, o),
        LambOptions o => new Lamb(parameters, o),
        _ => throw new NotSupportedException(options.GetType().Name),
    };
}
