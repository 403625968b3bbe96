using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>Builds the adapter optimizer for an engine options record, so tests can share the golden mapping.</summary>
internal static class TorchTestData
{
    public static optim.Optimizer Create(IEnumerable<Parameter> ps, Engine.OptimizerOptions options) => options switch
    {
        Engine.CameOptions o => Optim.Came(ps, o.LearningRate, o.Beta1, o.Beta2, o.Beta3, o.Eps1, o.Eps2, o.ClipThreshold, o.WeightDecay, o.BiasCorrection),
        Engine.AdafactorOptions o => Optim.Adafactor(ps, o.LearningRate, o.Eps1, o.Eps2, o.ClipThreshold, o.DecayRate, o.Beta1, o.WeightDecay,
            o.ScaleParameter, o.RelativeStep, o.WarmupInit),
        Engine.LambOptions o => Optim.Lamb(ps, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay),
        // TorchSharp's own AdamW stands in for the reference it was ported from.
        Engine.AdamWOptions o => torch.optim.AdamW(ps, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay),
        _ => throw new NotSupportedException(options.GetType().Name),
    };

    /// <summary>CameSharp's own AdamW (the engine's rule) for an AdamW options record.</summary>
    public static AdamW CameSharpAdamW(IEnumerable<Parameter> ps, Engine.AdamWOptions o) => Optim.AdamW(ps, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);

    public static void SetFastPath(optim.Optimizer optimizer, bool fast)
    {
        if (optimizer is ICameSharpOptimizer ours) ours.UseFastPath = fast;
    }

    public static int FastPathParameters(optim.Optimizer optimizer) => (optimizer as ICameSharpOptimizer)?.FastPathParameters ?? 0;

    public static Parameter Param(float[] values, int[] shape, ScalarType dtype = ScalarType.Float32) =>
        new(torch.tensor(values).reshape(shape.Select(d => (long)d).ToArray()).to(dtype));

    public static void SetGrad(Parameter p, float[] values) =>
        p.grad = torch.tensor(values).reshape(p.shape).to(p.dtype);

    public static float[] Values(Tensor t) => t.detach().to(ScalarType.Float32).cpu().data<float>().ToArray();
}
