using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CameSharp.Cli.Reports;

/// <summary>summary.json, report.md and loss.png of a comparison, from the runs' own folders.</summary>
internal static class CompareReport
{
    public static void Write(string outDir, string model, IReadOnlyList<(string Optimizer, IReadOnlyList<RunRecord> Runs)> groups, string command)
    {
        var runs = new JsonArray();
        foreach (var (_, records) in groups)
            foreach (var r in records)
            {
                var s = r.Summary;
                var run = new JsonObject
                {
                    ["optimizer"] = s.Optimizer,
                    ["lr"] = s.LearningRate,
                    ["seed"] = s.Seed,
                    ["final_val_loss"] = Finite(s.FinalValLoss),
                    ["optimizer_state_bytes"] = s.OptimizerStateBytes,
                    ["median_step_ms"] = Finite(s.MedianStepMs),
                    ["peak_working_set_bytes"] = s.PeakWorkingSetBytes,
                    ["steps_completed"] = s.StepsCompleted,
                    ["parameters"] = s.Parameters,
                    ["threads"] = s.Threads,
                    ["device"] = s.Device ?? "cpu",
                };
                if (s.FinalValAccuracy is { } acc) run["final_val_accuracy"] = Finite(acc);
                runs.Add(run);
            }
        var summary = new JsonObject { ["model"] = model, ["runs"] = runs };
        File.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var first = groups.SelectMany(g => g.Runs).FirstOrDefault()?.Summary;
        LossPlot.Write(Path.Combine(outDir, "loss.png"), $"{model}: validation loss by optimizer", groups);

        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"# came compare: {model}");
        md.AppendLine();
        if (first is not null)
        {
            var threads = groups.SelectMany(g => g.Runs).Select(r => r.Summary.Threads).OfType<int>().Distinct().Order().ToList();
            string threadNote = threads.Count switch
            {
                0 => "",
                1 => $", {threads[0]} torch thread{(threads[0] == 1 ? "" : "s")}",
                // A seed reproduces a run only at the same thread count, so a mixed comparison says so.
                _ => $", torch threads {string.Join(" and ", threads)} (runs at different thread counts differ in rounding)",
            };
            md.AppendLine(c, $"{first.Parameters:N0} parameters, {first.Steps} steps of {first.TokensPerStep:N0} tokens " +
                $"(batch {first.Batch} x {first.Accumulate} accumulated), {first.Tokenizer} tokens of `{Path.GetFileName(first.Data)}`{threadNote}, " +
                $"on {string.Join(" and ", DevicesOf(groups))}. Command: `{command}`.");
            md.AppendLine();
        }
        bool bert = groups.Any(g => g.Runs.Any(r => r.Summary.FinalValAccuracy is not null));
        md.AppendLine(bert
            ? "| optimizer | lr | val loss (mean ± sd) | MLM accuracy | seeds | state (MB) | state bytes/param | ms/step (median) | peak memory (MB) |"
            : "| optimizer | lr | val loss (mean ± sd) | seeds | state (MB) | state bytes/param | ms/step (median) | peak memory (MB) |");
        md.AppendLine(bert ? "|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|");
        foreach (var (optimizer, records) in groups)
        {
            if (records.Count == 0) continue;
            var losses = records.Select(r => r.Summary.FinalValLoss).ToArray();
            double mean = losses.Average();
            // One seed measures no spread: it is shown as unmeasured, never as a spread of zero.
            string spread = losses.Length > 1
                ? $"± {Math.Sqrt(losses.Sum(x => (x - mean) * (x - mean)) / (losses.Length - 1)).ToString("F4", c)}"
                : "(spread unmeasured)";
            var s = records[0].Summary;
            string accuracy = bert ? $" {records.Average(r => r.Summary.FinalValAccuracy ?? double.NaN):P1} |" : "";
            md.AppendLine(c, $"| {optimizer} | {s.LearningRate:G3} | {mean:F4} {spread} |{accuracy} {records.Count} | " +
                $"{s.OptimizerStateBytes / 1e6:F2} | {s.OptimizerStateBytes / (double)s.Parameters:F2} | " +
                $"{records.Average(r => r.Summary.MedianStepMs):F0} | {records.Max(r => r.Summary.PeakWorkingSetBytes) / 1e6:F0} |");
        }
        md.AppendLine();
        if (groups.Any(g => g.Runs.Count == 1))
        {
            md.AppendLine("With one seed, an optimizer's spread over seeds is not measured; `--seeds K` runs K seeds and reports it.");
            md.AppendLine();
        }
        var baseline = groups.FirstOrDefault(g => g.Optimizer == "adamw" && g.Runs.Count > 0).Runs;
        if (baseline is not null)
        {
            long adamw = baseline[0].Summary.OptimizerStateBytes;
            var others = groups.Where(g => g.Optimizer != "adamw" && g.Runs.Count > 0)
                .Select(g => $"{g.Optimizer} {g.Runs[0].Summary.OptimizerStateBytes / (double)adamw:P0}");
            md.AppendLine(c, $"Optimizer state relative to AdamW's: {string.Join(", ", others)}.");
            md.AppendLine();
        }
        md.AppendLine("State is the optimizer's own tensors (AdamW: exp_avg and exp_avg_sq; CAME: exp_avg and the factored row/column " +
            "statistics), measured from the tensors. Peak memory is each run's whole process, run alone" +
            (DevicesOf(groups).Contains("cuda") ? ", in host memory: the GPU's memory is not in it." : "."));
        md.AppendLine();
        md.AppendLine("![validation loss](loss.png)");
        File.WriteAllText(Path.Combine(outDir, "report.md"), md.ToString());
    }

    /// <summary>The devices the runs used; a summary from before the device was recorded ran on the CPU.</summary>
    private static List<string> DevicesOf(IReadOnlyList<(string Optimizer, IReadOnlyList<RunRecord> Runs)> groups) =>
        groups.SelectMany(g => g.Runs).Select(r => r.Summary.Device ?? "cpu").Distinct().Order().ToList();

    private static JsonNode? Finite(double x) => double.IsFinite(x) ? JsonValue.Create(x) : null;
}
