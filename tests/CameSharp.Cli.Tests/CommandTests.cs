using System.Globalization;
using System.Text.Json;
using CameSharp.Cli.Bench;

namespace CameSharp.Cli.Tests;

public sealed class CommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("came-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("gpt", "came")]
    [InlineData("bert", "came-bc")]
    [InlineData("bert", "lamb")]
    [InlineData("gpt", "adamw")]
    [InlineData("bert", "adafactor")]
    [InlineData("gpt", "came-bc+8bit")]
    [InlineData("gpt", "adamw+8bit")]
    [InlineData("gpt", "adamw-fused")]
    public void Train_writes_metrics_and_a_summary_of_finite_numbers(string model, string optimizer)
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "run");
        var (code, stdout, stderr) = CameRunner.Run(folder, ["train", "--model", model, "--optimizer", optimizer, "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        Assert.Contains("final validation loss", stdout);

        var lines = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.StartsWith("step,train_loss,val_loss,lr,step_ms", lines[0]);
        Assert.Equal(7, lines.Length);
        foreach (var row in lines.Skip(1).Select(l => l.Split(',')))
        {
            foreach (int column in new[] { 0, 1, 3, 4 })
                Assert.True(double.IsFinite(double.Parse(row[column], CultureInfo.InvariantCulture)), string.Join(",", row));
        }
        Assert.True(double.IsFinite(double.Parse(lines[^1].Split(',')[2], CultureInfo.InvariantCulture)), "the last step is validated");

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(optimizer, s.GetProperty("optimizer").GetString());
        foreach (var key in new[] { "final_val_loss", "median_step_ms", "lr", "tokens_per_second" })
            Assert.True(double.IsFinite(s.GetProperty(key).GetDouble()), key);
        Assert.True(s.GetProperty("optimizer_state_bytes").GetInt64() > 0);
        Assert.True(s.GetProperty("peak_working_set_bytes").GetInt64() > 0);
        if (model == "bert") Assert.InRange(s.GetProperty("final_val_accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Gpt2_byte_pair_tokens_train_too()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "bpe");
        var (code, _, stderr) = CameRunner.Run(folder, ["train", "--optimizer", "came", "--tokenizer", "bpe", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("bpe", summary.RootElement.GetProperty("tokenizer").GetString());
        // The tied embedding alone is 50257 x 16.
        Assert.True(summary.RootElement.GetProperty("parameters").GetInt64() > 50257 * 16);
    }

    [Fact]
    public void Ctrl_c_stops_at_a_step_boundary_and_keeps_what_was_written()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "stopped");
        using var process = CameRunner.Start(folder, ["train", "--optimizer", "adamw", "--data", data, "--out", output,
            "--dim", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4", "--steps", "100000", "--eval-every", "5", "--threads", "1"]);
        string metrics = Path.Combine(output, "metrics.csv");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && (!File.Exists(metrics) || File.ReadLines(metrics).Count() < 12)) Thread.Sleep(100);
        Assert.Equal(0, Kill(process.Id, SigInt));
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "came did not stop after SIGINT");
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("stopped at step", process.StandardError.ReadToEnd());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("interrupted").GetBoolean());
        int completed = summary.RootElement.GetProperty("steps_completed").GetInt32();
        Assert.InRange(completed, 11, 99_999);
        Assert.Equal(completed + 1, File.ReadAllLines(metrics).Length);
    }

    private const int SigInt = 2;

    // libc's kill(2), so that the test needs no kill executable on the machine.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public void Compare_writes_a_summary_a_report_and_a_picture()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "cmp");
        var (code, stdout, stderr) = CameRunner.Run(folder,
            ["compare", "--model", "gpt", "--optimizers", "adamw,came", "--seeds", "2", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("gpt", summary.RootElement.GetProperty("model").GetString());
        var runs = summary.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(4, runs.Count);
        Assert.Equal(["adamw", "adamw", "came", "came"], runs.Select(r => r.GetProperty("optimizer").GetString()));
        foreach (var r in runs)
        {
            foreach (var key in new[] { "lr", "final_val_loss", "median_step_ms" }) Assert.True(double.IsFinite(r.GetProperty(key).GetDouble()), key);
            Assert.True(r.GetProperty("optimizer_state_bytes").GetInt64() > 0);
            Assert.True(r.GetProperty("peak_working_set_bytes").GetInt64() > 0);
            Assert.InRange(r.GetProperty("seed").GetInt32(), 1, 2);
            Assert.Equal("cpu", r.GetProperty("device").GetString());
        }
        // CAME keeps about half of AdamW's state on this model: the paper's memory claim, measured.
        long adamw = runs[0].GetProperty("optimizer_state_bytes").GetInt64(), came = runs[2].GetProperty("optimizer_state_bytes").GetInt64();
        Assert.True(came < 0.75 * adamw, $"came {came} bytes, adamw {adamw}");

        string report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("| adamw |", report);
        Assert.Contains("| came |", report);
        Assert.Contains(" ± ", report);
        Assert.DoesNotContain("unmeasured", report);
        Assert.Contains("loss.png", report);
        Assert.Contains("| adamw |", stdout);
        byte[] png = File.ReadAllBytes(Path.Combine(output, "loss.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void A_one_seed_report_says_the_spread_is_unmeasured_instead_of_printing_zero()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "one-seed");
        var (code, _, stderr) = CameRunner.Run(folder,
            ["compare", "--model", "gpt", "--optimizers", "adamw", "--seeds", "1", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        string report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("(spread unmeasured)", report);
        Assert.DoesNotContain("± 0.0000", report);
        Assert.Contains("1 torch thread", report);
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("came")]
    public void Two_runs_with_the_same_seed_and_thread_count_write_the_same_numbers(string optimizer)
    {
        // Two threads, so that libtorch's parallel reductions and the engine's parallel kernels take part; enough
        // steps for a difference in the last bit of an update to reach the printed losses.
        string data = CameRunner.Corpus(folder);
        string[] flags = ["--dim", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4", "--steps", "40", "--eval-every", "10", "--threads", "2"];
        var runs = new[] { "first", "second" }.Select(name =>
        {
            string output = Path.Combine(folder, name);
            var (code, _, stderr) = CameRunner.Run(folder, ["train", "--optimizer", optimizer, "--seed", "3", "--data", data, "--out", output, .. flags]);
            Assert.True(code == 0, stderr);
            return output;
        }).ToArray();

        // Every column but step_ms (a time) must match to the last digit of the round-trip format.
        static string[] Numbers(string run) =>
            File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(l => string.Join(",", l.Split(',').Take(4))).ToArray();
        var first = Numbers(runs[0]);
        var second = Numbers(runs[1]);
        Assert.Equal(41, first.Length);
        for (int i = 0; i < first.Length; i++) Assert.True(first[i] == second[i], $"row {i}: {first[i]} then {second[i]}");

        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs[0], "summary.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs[1], "summary.json")));
        Assert.Equal(a.RootElement.GetProperty("final_val_loss").GetDouble(), b.RootElement.GetProperty("final_val_loss").GetDouble());
        Assert.Equal(2, a.RootElement.GetProperty("threads").GetInt32());
    }

    [Fact]
    public void Bench_writes_a_result_per_case_and_the_bandwidth()
    {
        string output = Path.Combine(folder, "bench");
        var (code, stdout, stderr) = CameRunner.Run(folder,
            ["bench", "--params", "200K", "--threads", "1", "--impls", "engine-came,engine-came-8bit,came-reference-port", "--seconds", "0", "--rounds", "2", "--out", output]);
        Assert.True(code == 0, stderr);
        using var bench = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "bench.json")));
        Assert.True(bench.RootElement.GetProperty("bandwidth_gbps").GetDouble() > 0);
        var results = bench.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["engine-came", "engine-came-8bit", "came-reference-port"], results.Select(r => r.GetProperty("impl").GetString()));
        // The engine's three passes move 28 bytes a parameter (19 with an 8-bit momentum); the port is counted at DESIGN.md's four passes.
        var expectedBytes = new Dictionary<string, int> { ["engine-came"] = 28, ["engine-came-8bit"] = 19, ["came-reference-port"] = 32 };
        foreach (var r in results)
        {
            Assert.True(r.GetProperty("ns_per_param").GetDouble() > 0);
            Assert.Equal(expectedBytes[r.GetProperty("impl").GetString()!], r.GetProperty("bytes_per_param").GetInt32());
            Assert.Equal(2, r.GetProperty("ns_per_param_by_round").GetArrayLength());
            Assert.InRange(r.GetProperty("params").GetInt64(), 150_000, 250_000);
        }
        // State measured from the optimizers after their steps: the momentum's 4 bytes become about 1.
        double State(int i) => results[i].GetProperty("state_bytes_per_param").GetDouble();
        Assert.InRange(State(0) - State(1), 2.5, 3.0);
        Assert.Contains("| engine-came |", stdout);
        Assert.Equal("cpu", bench.RootElement.GetProperty("device").GetString());
    }

    /// <summary>
    /// A +8bit name runs its optimizer with 8-bit state: about a quarter of the state bytes of the float32 run, and a
    /// run of its own (not the float32 one under another name), with the same learning rate.
    /// </summary>
    [Theory]
    [InlineData("came-bc")]
    [InlineData("adamw")]
    public void An_8_bit_name_trains_with_a_quarter_of_the_state(string optimizer)
    {
        string data = CameRunner.Corpus(folder);
        var runs = new[] { optimizer, optimizer + "+8bit" }.Select(name =>
        {
            string output = Path.Combine(folder, name);
            // Wide enough that the MLP's matrices (64 x 256) reach the 4096 elements below which state stays float32.
            var (code, _, stderr) = CameRunner.Run(folder, ["train", "--optimizer", name, "--data", data, "--out", output,
                "--dim", "64", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4", "--steps", "4", "--eval-every", "2", "--threads", "1"]);
            Assert.True(code == 0, stderr);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            var s = summary.RootElement;
            return (Bytes: s.GetProperty("optimizer_state_bytes").GetInt64(), Lr: s.GetProperty("lr").GetDouble(),
                Losses: File.ReadAllLines(Path.Combine(output, "metrics.csv")).Select(l => l.Split(',')[1]).ToArray());
        }).ToArray();
        Assert.InRange(runs[1].Bytes / (double)runs[0].Bytes, 0.2, 0.45);
        Assert.Equal(runs[0].Lr, runs[1].Lr);
        Assert.NotEqual(runs[0].Losses, runs[1].Losses);
    }

    /// <summary>
    /// --dtype bf16 trains bfloat16 weights: finite losses, the dtype and rounding recorded, and the two roundings
    /// giving different weights (so the flag reaches the optimizer).
    /// </summary>
    [Fact]
    public void Train_with_bfloat16_weights_records_the_dtype_and_the_rounding()
    {
        string data = CameRunner.Corpus(folder);
        var runs = new[] { "stochastic", "nearest" }.Select(rounding =>
        {
            string output = Path.Combine(folder, rounding);
            var (code, _, stderr) = CameRunner.Run(folder,
                ["train", "--optimizer", "came-bc", "--data", data, "--out", output, .. CameRunner.Tiny, "--dtype", "bf16", "--rounding", rounding]);
            Assert.True(code == 0, stderr);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            var s = summary.RootElement;
            Assert.Equal("bf16", s.GetProperty("dtype").GetString());
            Assert.Equal(rounding, s.GetProperty("rounding").GetString());
            Assert.True(double.IsFinite(s.GetProperty("final_val_loss").GetDouble()));
            return File.ReadAllLines(Path.Combine(output, "metrics.csv")).Select(l => l.Split(',')[1]).ToArray();
        }).ToArray();
        Assert.NotEqual(runs[0], runs[1]);
    }

    /// <summary>--device cpu is the default spelled out: the same floats, and the device recorded.</summary>
    [Fact]
    public void Train_with_device_cpu_writes_the_same_numbers_as_the_default()
    {
        string data = CameRunner.Corpus(folder);
        var runs = new[] { ("default", Array.Empty<string>()), ("cpu", new[] { "--device", "cpu" }) }.Select(run =>
        {
            string output = Path.Combine(folder, run.Item1);
            var (code, _, stderr) = CameRunner.Run(folder, ["train", "--model", "bert", "--optimizer", "came", "--data", data, "--out", output, .. CameRunner.Tiny, .. run.Item2]);
            Assert.True(code == 0, stderr);
            return output;
        }).ToArray();

        // Every column but step_ms (a time).
        static string[] Numbers(string run) =>
            File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(l => l.Split(',')).Select(c => string.Join(",", c[..4].Concat(c[5..]))).ToArray();
        Assert.Equal(Numbers(runs[0]), Numbers(runs[1]));

        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs[0], "summary.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs[1], "summary.json")));
        foreach (var key in new[] { "final_val_loss", "final_val_accuracy", "lr" })
            Assert.Equal(a.RootElement.GetProperty(key).GetDouble(), b.RootElement.GetProperty(key).GetDouble());
        Assert.Equal(a.RootElement.GetProperty("optimizer_state_bytes").GetInt64(), b.RootElement.GetProperty("optimizer_state_bytes").GetInt64());
        Assert.Equal("cpu", a.RootElement.GetProperty("device").GetString());
        Assert.Equal("cpu", b.RootElement.GetProperty("device").GetString());
    }

    /// <summary>What this machine and any without a GPU show: the reason and the fix, before any run starts or any file is written.</summary>
    [NoCudaFact]
    public void Device_cuda_without_a_cuda_device_says_what_to_install_before_any_work()
    {
        string data = CameRunner.Corpus(folder);
        string[][] commands =
            [["train", "--optimizer", "came"], ["compare", "--optimizers", "adamw,came"], ["sweep", "--optimizer", "came", "--lrs", "1e-3,2e-3"], ["bench", "--params", "200K"]];
        foreach (var command in commands)
        {
            string output = Path.Combine(folder, $"cuda-{command[0]}");
            string[] args = command[0] == "bench" ? [.. command, "--device", "cuda", "--out", output] : [.. command, "--device", "cuda", "--data", data, "--out", output, .. CameRunner.Tiny];
            var (code, stdout, stderr) = CameRunner.Run(folder, args);
            Assert.Equal(2, code);
            Assert.Contains("came: --device cuda: no CUDA device is available to TorchSharp; install a CUDA backend package of TorchSharp " +
                "(TorchSharp-cuda-linux / -windows) and a driver.", stderr);
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(output), $"{command[0]} wrote {output}");
        }
    }

    [CudaFact]
    public void Train_on_cuda_records_the_device_and_finite_losses()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "cuda-train");
        var (code, _, stderr) = CameRunner.Run(folder, ["train", "--model", "bert", "--optimizer", "came", "--device", "cuda", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("cuda", summary.RootElement.GetProperty("device").GetString());
        Assert.True(double.IsFinite(summary.RootElement.GetProperty("final_val_loss").GetDouble()));
        Assert.True(summary.RootElement.GetProperty("optimizer_state_bytes").GetInt64() > 0);
    }

    [CudaFact]
    public void Compare_on_cuda_runs_every_child_on_cuda()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "cuda-compare");
        var (code, _, stderr) = CameRunner.Run(folder, ["compare", "--optimizers", "adamw,came", "--device", "cuda", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.All(summary.RootElement.GetProperty("runs").EnumerateArray(), r => Assert.Equal("cuda", r.GetProperty("device").GetString()));
        Assert.Contains("on cuda", File.ReadAllText(Path.Combine(output, "report.md")));
    }

    [CudaFact]
    public void Bench_on_cuda_times_the_torch_steppers_only_and_records_the_device()
    {
        string output = Path.Combine(folder, "cuda-bench");
        var (code, _, stderr) = CameRunner.Run(folder, ["bench", "--device", "cuda", "--params", "200K", "--seconds", "0", "--rounds", "1", "--out", output]);
        Assert.True(code == 0, stderr);
        Assert.Contains("not timed with --device cuda", stderr);
        using var bench = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "bench.json")));
        Assert.Equal("cuda", bench.RootElement.GetProperty("device").GetString());
        Assert.True(bench.RootElement.GetProperty("bandwidth_gbps").GetDouble() > 0);
        var impls = bench.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("impl").GetString()).ToList();
        Assert.Equal(Steppers.All.Where(s => !s.CpuMemoryOnly).Select(s => s.Name), impls);

        (code, _, stderr) = CameRunner.Run(folder, ["bench", "--device", "cuda", "--impls", "engine-came,torchsharp-adamw", "--out", output]);
        Assert.Equal(2, code);
        Assert.Contains("--impls: 'engine-came' steps arrays in CPU memory", stderr);
    }

    /// <summary>As in torch.optim, a learning rate of 0 is allowed: the run takes its steps and the model does not move.</summary>
    [Fact]
    public void Train_at_learning_rate_0_leaves_the_validation_loss_where_it_started()
    {
        string data = CameRunner.Corpus(folder), output = Path.Combine(folder, "lr0");
        var (code, _, stderr) = CameRunner.Run(folder, ["train", "--optimizer", "came-bc", "--lr", "0", "--data", data, "--out", output, .. CameRunner.Tiny]);
        Assert.True(code == 0, stderr);
        var valLosses = File.ReadAllLines(Path.Combine(output, "metrics.csv")).Skip(1)
            .Select(l => l.Split(',')[2]).Where(v => v.Length > 0).ToList();
        Assert.True(valLosses.Count >= 2 && valLosses.Distinct().Count() == 1, $"validation losses at lr 0: {string.Join(", ", valLosses)}");
    }

    public static TheoryData<string[], string> BadUsage => new()
    {
        { ["train", "--model", "gpt"], "--optimizer" },
        { ["train", "--model", "gpt", "--optimizer", "sgd"], "--optimizer must be one of" },
        { ["train", "--model", "rnn", "--optimizer", "came"], "--model must be gpt or bert" },
        { ["train", "--optimizer", "came", "--steps", "zero"], "zero" },
        { ["train", "--optimizer", "came", "--frobnicate"], "--frobnicate" },
        { ["compare", "--optimizers", "adamw,sgd"], "--optimizers: 'sgd' is not one of" },
        { ["compare", "--optimizers", "adamw,,"], "--optimizers has an empty entry" },
        { ["compare", "--optimizers", "adamw,came,"], "--optimizers has an empty entry" },
        { ["compare", "--optimizers", "adamw,adamw"], "--optimizers names 'adamw' twice" },
        { ["sweep", "--optimizer", "came", "--lrs", "1e-3,,2e-3"], "--lrs has an empty entry" },
        { ["train", "--optimizer", "came", "--heads", "3", "--dim", "16"], "--heads must divide" },
        { ["train", "--optimizer", "came", "--warmup", "1.5"], "--warmup must be a fraction" },
        { ["compare", "--lr-scale", "-1"], "--lr-scale must be a finite number >= 0" },
        { ["train", "--optimizer", "came", "--lr", "-1e-3"], "--lr must be a finite number >= 0" },
        { ["sweep", "--optimizer", "came", "--lrs", "1e-3,nan"], "--lrs: 'nan' is not a finite number >= 0" },
        { ["bench", "--impls", "engine-sgd"], "--impls" },
        { ["bench", "--params", "tiny"], "--params" },
        { ["train", "--optimizer", "came", "--device", "tpu"], "--device must be cpu or cuda; got 'tpu'." },
        { ["compare", "--device", "gpu"], "--device must be cpu or cuda; got 'gpu'." },
        { ["sweep", "--optimizer", "came", "--lrs", "1e-3", "--device", "CUDA"], "--device must be cpu or cuda; got 'CUDA'." },
        { ["bench", "--device", "cuda:0"], "--device must be cpu or cuda; got 'cuda:0'." },
        { ["train", "--optimizer", "came", "--dtype", "fp16"], "--dtype must be fp32 or bf16; got 'fp16'." },
        { ["compare", "--rounding", "up"], "--rounding must be stochastic or nearest; got 'up'." },
        { ["train", "--optimizer", "came+4bit"], "--optimizer must be one of came, came-bc, adafactor, adamw, adamw-fused, lamb (each also with +8bit)" },
    };

    [Theory]
    [MemberData(nameof(BadUsage))]
    public void A_bad_flag_says_what_is_wrong_and_exits_with_2(string[] args, string message)
    {
        string data = CameRunner.Corpus(folder);
        var (code, _, stderr) = CameRunner.Run(folder, args[0] == "bench" ? args : [.. args, "--data", data]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void A_missing_or_empty_data_file_says_so_and_exits_with_2()
    {
        var (code, _, stderr) = CameRunner.Run(folder, ["train", "--optimizer", "came", "--data", Path.Combine(folder, "nope.txt")]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);

        string empty = Path.Combine(folder, "empty.txt");
        File.WriteAllText(empty, "");
        (code, _, stderr) = CameRunner.Run(folder, ["compare", "--data", empty, .. CameRunner.Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("is empty", stderr);
    }
}
