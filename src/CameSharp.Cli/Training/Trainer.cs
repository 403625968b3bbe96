using System.Diagnostics;
using System.Globalization;
using CameSharp.Cli.Data;
using CameSharp.Cli.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli.Training;

/// <summary>
/// Trains one model with one optimizer: warmup then cosine decay, gradient clipping, validation every few steps.
/// metrics.csv is written and flushed a row per step and summary.json at the end, so a stopped run keeps its data.
/// </summary>
internal static class Trainer
{
    public static RunSummary Run(TrainSettings s, CancellationToken cancel)
    {
        s.Validate();
        var device = Devices.Resolve(s.Device);
        var corpus = Corpus.Load(s.Data, s.Tokenizer, s.Context);
        Directory.CreateDirectory(s.Out);
        // A run's floats depend on libtorch's thread count (it splits reductions by thread), so the count is fixed for
        // the whole run and recorded. Setting it, even to the default, also turns MKL's dynamic threading off: left on,
        // MKL may run a matrix product on fewer threads than asked, which its reproducibility conditions rule out.
        int threads = s.Threads ?? torch.get_num_threads();
        torch.set_num_threads(threads);

        torch.manual_seed(s.Seed);
        var config = new ModelConfig(corpus.Tokenizer.VocabSize, s.Context, s.Dim, s.Layers, s.Heads);
        LanguageModel model = s.Model == "gpt" ? new Gpt(config) : new Bert(config);
        // Initialised on the CPU, then moved (a no-op there): a seed draws the same weights whatever the device. The
        // optimizer is built after the move, because moving replaces the parameter tensors.
        model.to(device);
        if (s.Dtype == "bf16") model.to(ScalarType.BFloat16);
        using var optimizer = OptimizerFactory.Create(s.Optimizer, model, s.PeakLearningRate, s.WeightDecay);
        OptimizerFactory.SetRounding(optimizer, stochastic: s.Rounding == "stochastic", seed: (ulong)s.Seed);
        var parameters = model.parameters().ToArray();
        long parameterCount = parameters.Sum(p => p.NumberOfElements);

        var data = new Random(s.Seed);
        var masking = new Generator((ulong)s.Seed);
        long tokensPerStep = (long)s.Batch * s.Accumulate * model.WindowLength;
        var stepTimes = new List<double>();
        double lastVal = double.NaN, lastAccuracy = double.NaN;
        int completed = 0;
        var progress = new Progress($"{s.Model}/{s.Optimizer}", s.Steps);
        var clock = Stopwatch.StartNew();

        using (var metrics = new StreamWriter(Path.Combine(s.Out, "metrics.csv")))
        {
            metrics.WriteLine(s.Model == "bert" ? "step,train_loss,val_loss,lr,step_ms,val_accuracy" : "step,train_loss,val_loss,lr,step_ms");
            for (int step = 1; step <= s.Steps && !cancel.IsCancellationRequested; step++)
            {
                double lr = s.LearningRateAt(step);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                var watch = Stopwatch.StartNew();
                double trainLoss = 0;
                optimizer.zero_grad();
                for (int a = 0; a < s.Accumulate; a++)
                {
                    using var scope = torch.NewDisposeScope();
                    var windows = Corpus.Windows(corpus.Train, s.Batch, model.WindowLength, data).to(device);
                    var (loss, _) = model.Loss(windows, masking, measureAccuracy: false);
                    (loss / s.Accumulate).backward();
                    trainLoss += loss.item<float>() / s.Accumulate;
                }
                torch.nn.utils.clip_grad_norm_(parameters, s.ClipNorm);
                optimizer.step();
                Devices.Synchronize(device);
                double ms = watch.Elapsed.TotalMilliseconds;
                stepTimes.Add(ms);
                completed = step;

                double? val = null;
                if (step % s.EvalEvery == 0 || step == s.Steps)
                {
                    (lastVal, lastAccuracy) = Evaluate(model, corpus, s, device);
                    val = lastVal;
                }
                string Cell(double? x) => x is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
                string row = $"{step},{Cell(trainLoss)},{Cell(val)},{Cell(lr)},{Cell(ms)}";
                if (s.Model == "bert") row += $",{(val is null ? "" : Cell(lastAccuracy))}";
                metrics.WriteLine(row);
                metrics.Flush();
                progress.Report(step, trainLoss, val, tokensPerStep * step / clock.Elapsed.TotalSeconds);
            }
        }
        bool interrupted = completed < s.Steps;
        if (interrupted) progress.Interrupted(completed);

        using var self = Process.GetCurrentProcess();
        var summary = new RunSummary
        {
            Model = s.Model,
            Optimizer = s.Optimizer,
            LearningRate = s.PeakLearningRate,
            Seed = s.Seed,
            Steps = s.Steps,
            StepsCompleted = completed,
            Batch = s.Batch,
            Accumulate = s.Accumulate,
            TokensPerStep = tokensPerStep,
            Parameters = parameterCount,
            FinalValLoss = lastVal,
            FinalValAccuracy = s.Model == "bert" ? lastAccuracy : null,
            OptimizerStateBytes = OptimizerFactory.StateBytes(optimizer),
            MedianStepMs = Median(stepTimes),
            TokensPerSecond = completed == 0 ? 0 : tokensPerStep * completed / clock.Elapsed.TotalSeconds,
            PeakWorkingSetBytes = self.PeakWorkingSet64,
            Interrupted = interrupted,
            Data = corpus.Path,
            Tokenizer = corpus.Tokenizer.Name,
            Threads = threads,
            Device = s.Device,
            Dtype = s.Dtype,
            Rounding = s.Dtype == "bf16" ? s.Rounding : null,
        };
        summary.Write(Path.Combine(s.Out, "summary.json"));
        return summary;
    }

    /// <summary>Mean loss (and masked-LM accuracy) over fixed validation windows, masked with a fixed seed.</summary>
    private static (double Loss, double Accuracy) Evaluate(LanguageModel model, Corpus corpus, TrainSettings s, Device device)
    {
        model.eval();
        using var _ = torch.no_grad();
        var masking = new Generator((ulong)(s.Seed + 1_000_003));
        double loss = 0, accuracy = 0;
        for (int i = 0; i < s.EvalBatches; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (l, a) = model.Loss(corpus.ValidationWindows(s.Batch, model.WindowLength, i, s.EvalBatches).to(device), masking, measureAccuracy: s.Model == "bert");
            loss += l.item<float>();
            accuracy += a;
        }
        model.train();
        return (loss / s.EvalBatches, accuracy / s.EvalBatches);
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
