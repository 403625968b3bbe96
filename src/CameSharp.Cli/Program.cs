using System.CommandLine;
using System.Globalization;
using System.Text;
using CameSharp.Cli;
using CameSharp.Cli.Data;
using CameSharp.Cli.Reports;
using CameSharp.Cli.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops at the end of the current step and keeps what was written; a second one kills.
    if (stop.IsCancellationRequested) return;
    e.Cancel = true;
    stop.Cancel();
};

var defaults = new TrainSettings { Model = "gpt", Optimizer = "came" };
var model = new Option<string>("--model") { Description = "gpt (causal LM) or bert (masked LM)", DefaultValueFactory = _ => "gpt" };
var optimizer = new Option<string>("--optimizer") { Description = "came (official), came-bc (with bias correction), adafactor, adamw or lamb; with +8bit (came-bc+8bit), 8-bit blockwise optimizer state", Required = true };
var optimizers = new Option<string>("--optimizers") { Description = "comma-separated optimizers to compare", DefaultValueFactory = _ => "adamw,adafactor,came,came-bc" };
var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => defaults.Steps };
var lr = new Option<double?>("--lr") { Description = "peak learning rate (default: per optimizer, from the README's sweep)" };
var lrs = new Option<string>("--lrs") { Description = "comma-separated peak learning rates", Required = true };
var batch = new Option<int>("--batch") { Description = "sequences per micro-batch", DefaultValueFactory = _ => defaults.Batch };
var accumulate = new Option<int>("--accumulate") { Description = "micro-batches accumulated per step (effective batch = batch x accumulate)", DefaultValueFactory = _ => 1 };
var seed = new Option<int>("--seed") { Description = "seed of the initialisation, data order and masking", DefaultValueFactory = _ => 1 };
var lrScale = new Option<double>("--lr-scale") { Description = "multiplies each optimizer's default learning rate (e.g. 4 for a 16x batch)", DefaultValueFactory = _ => 1.0 };
var seeds = new Option<int>("--seeds") { Description = "seeds per optimizer (1..K)", DefaultValueFactory = _ => 1 };
var data = new Option<string?>("--data") { Description = "UTF-8 text file (default: ../shared/data/kjv.txt)" };
var outDir = new Option<string?>("--out") { Description = "output folder" };
var tokenizer = new Option<string>("--tokenizer") { Description = "char (default) or bpe (GPT-2 r50k_base)", DefaultValueFactory = _ => "char" };
var context = new Option<int>("--context") { Description = "tokens per sequence", DefaultValueFactory = _ => defaults.Context };
var dim = new Option<int>("--dim") { Description = "model width", DefaultValueFactory = _ => defaults.Dim };
var layers = new Option<int>("--layers") { Description = "transformer blocks", DefaultValueFactory = _ => defaults.Layers };
var heads = new Option<int>("--heads") { Description = "attention heads", DefaultValueFactory = _ => defaults.Heads };
var evalEvery = new Option<int>("--eval-every") { Description = "steps between validations", DefaultValueFactory = _ => defaults.EvalEvery };
var threads = new Option<int?>("--threads") { Description = "CPU threads for torch (default: all)" };
var warmup = new Option<double>("--warmup") { Description = "fraction of the steps spent warming the learning rate up", DefaultValueFactory = _ => defaults.Warmup };
var device = new Option<string>("--device") { Description = "cpu or cuda (cuda needs a CUDA backend package of TorchSharp)", DefaultValueFactory = _ => defaults.Device };

var dtype = new Option<string>("--dtype") { Description = "parameter dtype: fp32 or bf16 (bfloat16 weights, float32 optimizer state)", DefaultValueFactory = _ => defaults.Dtype };
var rounding = new Option<string>("--rounding") { Description = "with --dtype bf16: how CameSharp's optimizers round into the weights, stochastic or nearest", DefaultValueFactory = _ => defaults.Rounding };

Option[] shared = [model, steps, batch, accumulate, data, tokenizer, context, dim, layers, heads, evalEvery, threads, warmup, device, dtype, rounding];

TrainSettings Settings(ParseResult r, string optimizerName, int seedValue, double? lrValue, string output) => new()
{
    Model = r.GetValue(model)!,
    Optimizer = optimizerName,
    Steps = r.GetValue(steps),
    LearningRate = lrValue,
    Batch = r.GetValue(batch),
    Accumulate = r.GetValue(accumulate),
    Seed = seedValue,
    Data = r.GetValue(data),
    Out = output,
    Tokenizer = r.GetValue(tokenizer)!,
    Context = r.GetValue(context),
    Dim = r.GetValue(dim),
    Layers = r.GetValue(layers),
    Heads = r.GetValue(heads),
    EvalEvery = r.GetValue(evalEvery),
    Threads = r.GetValue(threads),
    Warmup = r.GetValue(warmup),
    Device = r.GetValue(device)!,
    Dtype = r.GetValue(dtype)!,
    Rounding = r.GetValue(rounding)!,
};

// What a child `came train` needs to repeat a run exactly.
IEnumerable<string> ChildArguments(TrainSettings s)
{
    var args = new List<string>
    {
        "--model", s.Model, "--optimizer", s.Optimizer, "--steps", $"{s.Steps}", "--lr", s.PeakLearningRate.ToString("R"),
        "--batch", $"{s.Batch}", "--accumulate", $"{s.Accumulate}", "--seed", $"{s.Seed}", "--out", s.Out,
        "--tokenizer", s.Tokenizer, "--context", $"{s.Context}", "--dim", $"{s.Dim}", "--layers", $"{s.Layers}",
        "--heads", $"{s.Heads}", "--eval-every", $"{s.EvalEvery}", "--warmup", s.Warmup.ToString("R"), "--device", s.Device,
        "--dtype", s.Dtype, "--rounding", s.Rounding,
    };
    if (s.Data is not null) args.AddRange(["--data", Path.GetFullPath(s.Data)]);
    if (s.Threads is { } t) args.AddRange(["--threads", $"{t}"]);
    return args;
}

// An empty entry ("adamw,,came", a trailing comma) is a typo, not a request for fewer runs: it is refused, not dropped.
string[] ParseList(string text, string flag)
{
    var items = text.Split(',', StringSplitOptions.TrimEntries);
    if (items.All(x => x.Length == 0)) throw new UsageException($"{flag} is empty.");
    if (items.Any(x => x.Length == 0)) throw new UsageException($"{flag} has an empty entry in '{text}'; separate the values with single commas.");
    return items;
}

// Checks every run's settings and the data before the first run starts, then runs each in a child process, in
// order, stopping early on Ctrl-C. Returns the runs that finished.
List<RunRecord> RunAll(IReadOnlyList<TrainSettings> runs, string root)
{
    foreach (var s in runs) s.Validate();
    Corpus.Load(runs[0].Data, runs[0].Tokenizer, runs[0].Context);
    Directory.CreateDirectory(root);
    var done = new List<RunRecord>();
    foreach (var s in runs)
    {
        if (stop.IsCancellationRequested) break;
        int code = ChildRuns.Train(ChildArguments(s));
        if (code == 2) throw new UsageException($"the run {s.Optimizer} (seed {s.Seed}) refused its settings; see above.");
        if (File.Exists(Path.Combine(s.Out, "summary.json"))) done.Add(RunRecord.Read(s.Out));
        else Console.Error.WriteLine($"came: the run {s.Optimizer} (seed {s.Seed}) failed (exit code {code}) and wrote no summary.");
    }
    return done;
}

// A command whose action reports a UsageException as "came: ..." and exits with code 2.
Command NewCommand(string name, string description, IEnumerable<Option> options, Func<ParseResult, int> action)
{
    var command = new Command(name, description);
    foreach (var o in options) command.Options.Add(o);
    command.SetAction(r =>
    {
        try
        {
            return action(r);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"came: {e.Message}");
            return 2;
        }
    });
    return command;
}

var train = NewCommand("train", "Train one model with one optimizer; writes metrics.csv and summary.json to --out.",
    [.. shared, optimizer, lr, seed, outDir], r =>
{
    string name = r.GetValue(optimizer)!;
    var s = Settings(r, name, r.GetValue(seed), r.GetValue(lr), r.GetValue(outDir) ?? Path.Combine("runs", $"{r.GetValue(model)}-{name}"));
    var summary = Trainer.Run(s, stop.Token);
    Console.WriteLine($"{s.Model}/{s.Optimizer}: final validation loss {summary.FinalValLoss:F4}" +
        (summary.FinalValAccuracy is { } a ? $", masked-LM accuracy {a:P1}" : "") +
        $", optimizer state {summary.OptimizerStateBytes / 1e6:F2} MB, {summary.MedianStepMs:F0} ms/step. Written to {Path.GetFullPath(s.Out)}.");
    return summary.Interrupted ? 130 : 0;
});

var compare = NewCommand("compare", "Train with several optimizers on the same seeds, data order and schedule; writes summary.json, report.md and loss.png.",
    [.. shared, optimizers, seeds, lrScale, outDir], r =>
{
    var names = ParseList(r.GetValue(optimizers)!, "--optimizers");
    foreach (var n in names)
        if (!OptimizerFactory.Names.Contains(n))
            throw new UsageException($"--optimizers: '{n}' is not one of {OptimizerFactory.Listed}.");
    if (names.Distinct().Count() < names.Length)
        throw new UsageException($"--optimizers names '{names.GroupBy(n => n).First(g => g.Count() > 1).Key}' twice; each optimizer runs once per seed.");
    int k = r.GetValue(seeds);
    if (k < 1) throw new UsageException($"--seeds must be at least 1; got {k}.");
    string root = Path.GetFullPath(r.GetValue(outDir) ?? Path.Combine("runs", $"compare-{r.GetValue(model)}"));
    double scale = r.GetValue(lrScale);
    if (!(scale >= 0 && double.IsFinite(scale))) throw new UsageException($"--lr-scale must be a finite number >= 0; got {scale}.");
    // The default learning rate is looked up (and the name checked) once the model's settings are known to be valid.
    foreach (var n in names) Settings(r, n, 1, null, root).Validate();
    var plan = names.SelectMany(n => Enumerable.Range(1, k).Select(sd =>
        Settings(r, n, sd, scale * OptimizerFactory.DefaultLearningRate(r.GetValue(model)!, n), Path.Combine(root, n, $"seed-{sd}")))).ToList();
    var records = RunAll(plan, root);
    var groups = names.Select(n => (n, (IReadOnlyList<RunRecord>)records.Where(x => x.Summary.Optimizer == n).ToList())).ToList();
    if (records.Count == 0)
    {
        Console.Error.WriteLine("came: no run finished; nothing to report.");
        return stop.IsCancellationRequested ? 130 : 1;
    }
    CompareReport.Write(root, r.GetValue(model)!, groups, "came " + string.Join(' ', args));
    Console.WriteLine(File.ReadAllText(Path.Combine(root, "report.md")));
    Console.WriteLine($"Written to {root} (summary.json, report.md, loss.png).");
    return stop.IsCancellationRequested ? 130 : 0;
});

var sweep = NewCommand("sweep", "Train one optimizer at several learning rates; writes sweep.md and each run's files.",
    [.. shared, optimizer, lrs, seed, outDir], r =>
{
    string name = r.GetValue(optimizer)!;
    var rates = ParseList(r.GetValue(lrs)!, "--lrs").Select(x =>
        double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v) ? v : throw new UsageException($"--lrs: '{x}' is not a finite number >= 0.")).ToArray();
    string root = Path.GetFullPath(r.GetValue(outDir) ?? Path.Combine("runs", $"sweep-{r.GetValue(model)}-{name}"));
    var plan = rates.Select(v => Settings(r, name, r.GetValue(seed), v, Path.Combine(root, $"lr-{v:G3}"))).ToList();
    var records = RunAll(plan, root);
    var md = new StringBuilder($"# came sweep: {r.GetValue(model)} / {name} on {r.GetValue(device)}\n\n| lr | final val loss |{(r.GetValue(model) == "bert" ? " MLM accuracy |" : "")}\n|---|---|{(r.GetValue(model) == "bert" ? "---|" : "")}\n");
    foreach (var rec in records)
        md.Append($"| {rec.Summary.LearningRate:G3} | {rec.Summary.FinalValLoss:F4} |{(rec.Summary.FinalValAccuracy is { } a ? $" {a:P1} |" : "")}\n");
    File.WriteAllText(Path.Combine(root, "sweep.md"), md.ToString());
    Console.WriteLine(md);
    return stop.IsCancellationRequested ? 130 : 0;
});

var benchParams = new Option<string>("--params") { Description = "parameter counts to time, like 10M,100M,300M", DefaultValueFactory = _ => "10M,100M,300M" };
var benchThreads = new Option<string?>("--threads") { Description = "thread counts, comma-separated (default: 1 and all processors; on cuda, 1)" };
var benchImpls = new Option<string>("--impls") { Description = "implementations to time (on cuda, the default leaves out engine-*, which step CPU memory)", DefaultValueFactory = _ => string.Join(",", CameSharp.Cli.Bench.Steppers.All.Select(x => x.Name)) };
var benchSeconds = new Option<double>("--seconds") { Description = "least time spent timing each case in each round", DefaultValueFactory = _ => 2.0 };
var benchRounds = new Option<int>("--rounds") { Description = "rounds through all cases; each case reports the median of its rounds", DefaultValueFactory = _ => 3 };
var bench = NewCommand("bench", "Time an optimizer step per parameter for each implementation beside the measured memory bandwidth; writes bench.json and bench.md.",
    [benchParams, benchThreads, benchImpls, benchSeconds, benchRounds, device, outDir], r =>
{
    var sets = ParseList(r.GetValue(benchParams)!, "--params").Select(CameSharp.Cli.Bench.ParameterSet.Parse).ToList();
    var known = CameSharp.Cli.Bench.Steppers.All.Select(x => x.Name).ToArray();
    var impls = ParseList(r.GetValue(benchImpls)!, "--impls");
    foreach (var i in impls)
        if (!known.Contains(i)) throw new UsageException($"--impls: '{i}' is not one of {string.Join(", ", known)}.");
    int rounds = r.GetValue(benchRounds);
    if (rounds < 1) throw new UsageException($"--rounds must be at least 1; got {rounds}.");
    var on = Devices.Resolve(r.GetValue(device)!);
    bool onCpu = on.type == TorchSharp.DeviceType.CPU;
    // A GPU step is launched from one host thread: more threads would time the same kernels again.
    var threadCounts = r.GetValue(benchThreads) is { } list
        ? ParseList(list, "--threads").Select(x => int.TryParse(x, out int t) && t >= 1 ? t : throw new UsageException($"--threads: '{x}' is not a thread count.")).ToList()
        : onCpu ? new[] { 1, Environment.ProcessorCount }.Distinct().ToList() : [1];
    var cpuOnly = CameSharp.Cli.Bench.Steppers.All.Where(x => x.CpuMemoryOnly).Select(x => x.Name).ToArray();
    if (!onCpu)
    {
        // Named, an engine-* implementation is a request that cannot be met; by default, it is left out and said so.
        if (r.GetResult(benchImpls) is { Implicit: false } && impls.FirstOrDefault(cpuOnly.Contains) is { } named)
            throw new UsageException($"--impls: '{named}' steps arrays in CPU memory and does not run with --device {r.GetValue(device)}; " +
                $"on a GPU it takes {string.Join(", ", known.Except(cpuOnly))}.");
        Console.Error.WriteLine($"bench: {string.Join(", ", impls.Where(cpuOnly.Contains))} step arrays in CPU memory: not timed with --device {r.GetValue(device)}.");
        impls = [.. impls.Except(cpuOnly)];
    }
    return CameSharp.Cli.Bench.BenchRunner.Run(sets, threadCounts, impls, on, r.GetValue(outDir) ?? Path.Combine("runs", "bench"),
        r.GetValue(benchSeconds), rounds, stop.Token);
});

var rootCommand = new RootCommand("came: train small GPT-2 and BERT models with CAME, Adafactor, AdamW or LAMB, and compare them.")
{
    train, compare, sweep, bench,
};
var parsed = rootCommand.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"came: {error.Message}");
    Console.Error.WriteLine("Run 'came --help' for the commands and their flags.");
    return 2;
}
return parsed.Invoke();
