namespace CameSharp.Cli.Training;

/// <summary>Everything one training run depends on.</summary>
internal sealed record TrainSettings
{
    public required string Model { get; init; }
    public required string Optimizer { get; init; }
    public int Steps { get; init; } = 1500;
    public double? LearningRate { get; init; }
    public int Batch { get; init; } = 16;
    public int Accumulate { get; init; } = 1;
    public int Seed { get; init; } = 1;
    public string? Data { get; init; }
    public string Out { get; init; } = "out";
    public string Tokenizer { get; init; } = "char";
    public int Context { get; init; } = 128;
    public int Dim { get; init; } = 128;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public double WeightDecay { get; init; } = 0.01;
    public double ClipNorm { get; init; } = 1.0;
    public double Warmup { get; init; } = 0.05;
    public int EvalEvery { get; init; } = 100;
    public int EvalBatches { get; init; } = 8;
    public int? Threads { get; init; }
    /// <summary>Where the model, its batches and the optimizer's state live: one of <see cref="Devices.Names"/>.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>The parameters' dtype: fp32, or bf16 (bfloat16 weights; the loss is taken in float32, the optimizer's math and state are float32).</summary>
    public string Dtype { get; init; } = "fp32";
    /// <summary>How CameSharp's optimizers round their float32 results into bf16 parameters: stochastic (default) or nearest.</summary>
    public string Rounding { get; init; } = "stochastic";

    public double PeakLearningRate => LearningRate ?? OptimizerFactory.DefaultLearningRate(Model, Optimizer);

    public void Validate()
    {
        if (Model is not ("gpt" or "bert")) throw new UsageException($"--model must be gpt or bert; got '{Model}'.");
        if (!OptimizerFactory.Names.Contains(Optimizer))
            throw new UsageException($"--optimizer must be one of {OptimizerFactory.Listed}; got '{Optimizer}'.");
        if (Steps < 1) throw new UsageException($"--steps must be at least 1; got {Steps}.");
        if (LearningRate is { } lr && !(lr >= 0 && double.IsFinite(lr))) throw new UsageException($"--lr must be a finite number >= 0; got {lr}.");
        if (Batch < 1) throw new UsageException($"--batch must be at least 1; got {Batch}.");
        if (Accumulate < 1) throw new UsageException($"--accumulate must be at least 1; got {Accumulate}.");
        if (EvalEvery < 1) throw new UsageException($"--eval-every must be at least 1; got {EvalEvery}.");
        if (Warmup is < 0 or >= 1) throw new UsageException($"--warmup must be a fraction in [0, 1); got {Warmup}.");
        if (Threads is < 1) throw new UsageException($"--threads must be at least 1; got {Threads}.");
        if (Dtype is not ("fp32" or "bf16")) throw new UsageException($"--dtype must be fp32 or bf16; got '{Dtype}'.");
        if (Rounding is not ("stochastic" or "nearest")) throw new UsageException($"--rounding must be stochastic or nearest; got '{Rounding}'.");
        Devices.Resolve(Device);
    }

    /// <summary>Linear warmup over the first <see cref="Warmup"/> of the steps, then cosine decay to a tenth of the peak.</summary>
    public double LearningRateAt(int step)
    {
        int warmup = Math.Max(1, (int)(Warmup * Steps));
        if (step <= warmup) return PeakLearningRate * step / warmup;
        double progress = (step - warmup) / (double)Math.Max(1, Steps - warmup);
        return PeakLearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
