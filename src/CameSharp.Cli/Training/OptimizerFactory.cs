using CameSharp.TorchSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CameSharp.Cli.Training;

using Parameter = global::TorchSharp.Modules.Parameter;
using Came = global::CameSharp.TorchSharp.Came;
using Adafactor = global::CameSharp.TorchSharp.Adafactor;
using Lamb = global::CameSharp.TorchSharp.Lamb;
using AdamW = global::TorchSharp.Modules.AdamW;
using OurAdamW = global::CameSharp.TorchSharp.AdamW;

/// <summary>Builds each optimizer with two groups: weight decay on matrices, none on biases, LayerNorm and other vectors.</summary>
internal static class OptimizerFactory
{
    /// <summary>
    /// The optimizers: <c>came</c> is the official algorithm, <c>came-bc</c> CAME with bias correction, <c>adamw</c>
    /// TorchSharp's AdamW and <c>adamw-fused</c> CameSharp's (the same algorithm in one fused pass, the float32 twin of
    /// adamw+8bit).
    /// </summary>
    private static readonly string[] BaseNames = ["came", "came-bc", "adafactor", "adamw", "adamw-fused", "lamb"];

    /// <summary>The suffix that runs an optimizer with 8-bit blockwise state (<see cref="StateFormat.Blockwise8Bit"/>).</summary>
    public const string EightBitSuffix = "+8bit";

    /// <summary>Every name the commands take: each optimizer, and each with <see cref="EightBitSuffix"/>.</summary>
    public static readonly string[] Names = [.. BaseNames, .. BaseNames.Select(n => n + EightBitSuffix)];

    /// <summary>The names, as usage messages list them.</summary>
    public static string Listed => $"{string.Join(", ", BaseNames)} (each also with {EightBitSuffix})";

    /// <summary>The optimizer a name runs, and whether with 8-bit state.</summary>
    public static (string Optimizer, bool EightBit) Parse(string name) =>
        name.EndsWith(EightBitSuffix, StringComparison.Ordinal) ? (name[..^EightBitSuffix.Length], true) : (name, false);

    /// <summary>
    /// Default peak learning rates: the best of the sweeps recorded in the README (GPT, default size), used for both
    /// models. CAME's were swept at the default length (1500 steps), the others at 500. The official CAME's is several
    /// times below the authors' 0.5-0.9x AdamW: without bias correction its instability EMA (beta3 = 0.9999) holds only
    /// 1 - beta3^t of its weight after t steps, which inflates the step throughout a run this short. With bias
    /// correction (came-bc) the advice holds.
    /// </summary>
    /// <remarks>An 8-bit run takes its optimizer's rate: the state format is meant not to change what works.</remarks>
    public static double DefaultLearningRate(string model, string optimizer) => (model, Parse(optimizer).Optimizer) switch
    {
        (_, "adamw" or "adamw-fused") => 8e-3,
        (_, "came") => 5e-4,
        (_, "came-bc") => 4e-3,
        (_, "adafactor") => 8e-3,
        (_, "lamb") => 1.6e-2,
        _ => throw new UsageException($"--optimizer must be one of {Listed}; got '{optimizer}'."),
    };

    /// <summary>
    /// The optimizer <paramref name="name"/> names, with 8-bit state for a <see cref="EightBitSuffix"/> name. adamw is
    /// TorchSharp's own AdamW; adamw-fused and adamw+8bit are CameSharp's AdamW (the same algorithm in one fused pass),
    /// the latter with 8-bit moments.
    /// </summary>
    public static optim.Optimizer Create(string name, nn.Module model, double lr, double weightDecay)
    {
        var (optimizer, eightBit) = Parse(name);
        if (optimizer == "adamw-fused") return Create("adamw", model, lr, weightDecay, ours: true, eightBit);
        return Create(optimizer, model, lr, weightDecay, ours: eightBit, eightBit);
    }

    private static optim.Optimizer Create(string name, nn.Module model, double lr, double weightDecay, bool ours, bool eightBit)
    {
        var created = Create(name, model, lr, weightDecay, ours);
        if (eightBit) ((ICameSharpOptimizer)created).StateFormat = StateFormat.Blockwise8Bit;
        return created;
    }

    private static optim.Optimizer Create(string name, nn.Module model, double lr, double weightDecay, bool ours)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (_, p) in model.named_parameters()) (p.dim() >= 2 ? decay : noDecay).Add(p);
        return name switch
        {
            "adamw" when ours => Optim.AdamW(
                [new OurAdamW.ParamGroup(decay, new OurAdamW.Options { weight_decay = weightDecay }), new OurAdamW.ParamGroup(noDecay, new OurAdamW.Options { weight_decay = 0 })],
                lr, 0.9, 0.999, 1e-8, weightDecay),
            "came" or "came-bc" => Optim.Came(
                [new Came.ParamGroup(decay, new Came.Options { weight_decay = weightDecay }), new Came.ParamGroup(noDecay, new Came.Options { weight_decay = 0 })],
                lr, bias_correction: name == "came-bc"),
            // The paper's Adafactor baseline: beta1 = 0.9, an external learning rate, no parameter scaling.
            "adafactor" => Optim.Adafactor(
                [new Adafactor.ParamGroup(decay, new Adafactor.Options { weight_decay = weightDecay }), new Adafactor.ParamGroup(noDecay, new Adafactor.Options { weight_decay = 0 })],
                lr, beta1: 0.9, relative_step: false, scale_parameter: false),
            "lamb" => Optim.Lamb(
                [new Lamb.ParamGroup(decay, new Lamb.Options { weight_decay = weightDecay }), new Lamb.ParamGroup(noDecay, new Lamb.Options { weight_decay = 0 })],
                lr),
            // TorchSharp's own AdamW: what a TorchSharp user trains with today.
            "adamw" => torch.optim.AdamW(
                [new AdamW.ParamGroup(decay, lr, 0.9, 0.999, 1e-8, weightDecay), new AdamW.ParamGroup(noDecay, lr, 0.9, 0.999, 1e-8, 0)],
                lr, 0.9, 0.999, 1e-8, weightDecay),
            _ => throw new UsageException($"--optimizer must be one of {Listed}; got '{name}'."),
        };
    }

    /// <summary>
    /// How CameSharp's optimizers round into bfloat16 parameters (stochastically, keyed by <paramref name="seed"/>, or to
    /// nearest). TorchSharp's AdamW always rounds to nearest.
    /// </summary>
    public static void SetRounding(optim.Optimizer optimizer, bool stochastic, ulong seed)
    {
        if (optimizer is not ICameSharpOptimizer ours) return;
        ours.StochasticRounding = stochastic;
        ours.Seed = seed;
    }

    /// <summary>Bytes of optimizer state, measured from the state tensors the optimizer holds.</summary>
    public static long StateBytes(optim.Optimizer optimizer) => optimizer switch
    {
        ICameSharpOptimizer o => o.StateBytes,
        AdamW o => o.state_dict().State.Cast<AdamW.State>()
            .Sum(s => TensorBytes(s.exp_avg) + TensorBytes(s.exp_avg_sq) + TensorBytes(s.max_exp_avg_sq)),
        _ => 0,
    };

    private static long TensorBytes(Tensor? t) => t is null ? 0 : t.NumberOfElements * t.ElementSize;
}
