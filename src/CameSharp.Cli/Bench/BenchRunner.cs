using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli.Bench;

/// <summary>
/// Times optimizer steps per parameter for each implementation, parameter set and thread count in one run, beside the
/// machine's memory bandwidth measured in the same run, and writes bench.json and bench.md. With a CUDA device, the
/// tensors live on the GPU and the reference is the GPU's copy bandwidth.
/// </summary>
internal static class BenchRunner
{
    public static int Run(IReadOnlyList<ParameterSet> sets, IReadOnlyList<int> threadCounts, IReadOnlyList<string> impls,
        Device device, string outDir, double minSeconds, int rounds, CancellationToken cancel)
    {
        Directory.CreateDirectory(outDir);
        bool onCpu = device.type == DeviceType.CPU;
        var bandwidth = new Dictionary<int, double>();
        foreach (int t in threadCounts)
        {
            Console.Error.WriteLine(onCpu
                ? $"bench: measuring memory bandwidth (triad over 3 x 256 MB) on {t} thread(s)..."
                : $"bench: measuring the {device.type} device's copy bandwidth (2 x 256 MB, device to device)...");
            bandwidth[t] = onCpu ? Bandwidth.MeasureGBps(t) : Bandwidth.MeasureDeviceGBps(device);
            Console.Error.WriteLine(onCpu ? $"bench: {bandwidth[t]:F1} GB/s on {t} thread(s)" : $"bench: {bandwidth[t]:F1} GB/s");
        }

        // Each case is timed once per round, and rounds go through all the cases in turn: a case's figure is the median
        // of its rounds, so a slow moment of the machine, or of an allocator, weighs on one round, not on the result.
        var samples = new Dictionary<(string Impl, ParameterSet Set, int Threads), List<double>>();
        var stateBytes = new Dictionary<(string Impl, ParameterSet Set), long>();
        var bytesOf = Steppers.All.ToDictionary(s => s.Name, s => s.BytesPerParam);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        int total = rounds * sets.Count * impls.Count * threadCounts.Count, done = 0;
        for (int round = 0; round < rounds; round++)
            foreach (var set in sets)
                foreach (var (name, bytes, _, create) in Steppers.All.Where(s => impls.Contains(s.Name)))
                    foreach (int threads in threadCounts)
                    {
                        if (cancel.IsCancellationRequested) break;
                        done++;
                        // Parameters, gradients and state, plus torch-op temporaries: about 24-48 bytes a parameter.
                        long need = set.Total * (name.StartsWith("engine", StringComparison.Ordinal) ? 24L : 48L);
                        // Host memory bounds only CPU tensors; a GPU that runs out says so itself.
                        if (onCpu && need > available * 8 / 10)
                        {
                            Console.Error.WriteLine($"bench [{done}/{total}] {name} {set.Label}: skipped, needs about {need / 1e9:F1} GB of {available / 1e9:F1} GB.");
                            continue;
                        }
                        Console.Error.Write($"bench [{done}/{total}] {name} {set.Label} ({set.Total / 1e6:F1}M) on {threads} thread(s)... ");
                        double seconds;
                        using (var stepper = create(set, threads, device))
                        {
                            stepper.Step();
                            Devices.Synchronize(device);
                            var times = new List<double>();
                            var clock = Stopwatch.StartNew();
                            while ((times.Count < 3 || clock.Elapsed.TotalSeconds < minSeconds) && times.Count < 50 && !cancel.IsCancellationRequested)
                            {
                                var watch = Stopwatch.StartNew();
                                stepper.Step();
                                Devices.Synchronize(device);
                                times.Add(watch.Elapsed.TotalSeconds);
                            }
                            seconds = times.Order().ElementAt(times.Count / 2);
                            stateBytes[(name, set)] = stepper.StateBytes;
                        }
                        // Give everything back before the next case: torch tensors are freed by their finalizers, and
                        // an aggressive collection returns the managed heap's free memory to the system, which torch's
                        // allocations cannot otherwise use (a full run was killed for memory without it).
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                        double ns = seconds * 1e9 / set.Total;
                        if (!samples.TryGetValue((name, set, threads), out var list)) samples[(name, set, threads)] = list = [];
                        list.Add(ns);
                        Console.Error.WriteLine($"{ns:F2} ns/param, {bytes / ns / bandwidth[threads]:P0} of bandwidth (round {round + 1} of {rounds})");
                    }
        var results = samples.Select(kv => (kv.Key.Impl, kv.Key.Set, kv.Key.Threads,
            NsPerParam: kv.Value.Order().ElementAt(kv.Value.Count / 2), Bytes: bytesOf[kv.Key.Impl], Rounds: kv.Value)).ToList();

        var json = new JsonObject
        {
            ["bandwidth_gbps"] = bandwidth[threadCounts.Max()],
            ["bandwidth_gbps_by_threads"] = new JsonObject(bandwidth.Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value))),
            ["machine"] = new JsonObject
            {
                ["processors"] = Environment.ProcessorCount,
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                ["simd_floats"] = System.Numerics.Vector<float>.Count,
            },
            ["results"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["impl"] = r.Impl,
                ["params"] = r.Set.Total,
                ["threads"] = r.Threads,
                ["ns_per_param"] = r.NsPerParam,
                ["bytes_per_param"] = r.Bytes,
                ["state_bytes_per_param"] = stateBytes[(r.Impl, r.Set)] / (double)r.Set.Total,
                ["fraction_of_bandwidth"] = r.Bytes / r.NsPerParam / bandwidth[r.Threads],
                ["ns_per_param_by_round"] = new JsonArray(r.Rounds.Select(x => (JsonNode)x).ToArray()),
            }).ToArray()),
            ["device"] = onCpu ? "cpu" : "cuda",
        };
        File.WriteAllText(Path.Combine(outDir, "bench.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var md = new StringBuilder();
        if (onCpu)
            md.AppendLine(CultureInfo.InvariantCulture, $"Memory bandwidth (triad): {string.Join(", ", bandwidth.Select(kv => $"{kv.Value:F1} GB/s on {kv.Key} thread(s)"))}.");
        else
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"On cuda. GPU memory bandwidth (device-to-device copy, read + write): {bandwidth[threadCounts.Max()]:F1} GB/s.");
            md.AppendLine();
            md.AppendLine($"Not timed on cuda: {string.Join(", ", Steppers.All.Where(x => x.CpuMemoryOnly).Select(x => x.Name))} (the engine steps arrays in CPU memory).");
        }
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"ns/param is the median of {rounds} rounds; the range of the rounds follows it.");
        md.AppendLine();
        md.AppendLine("| impl | params | threads | ns/param (range) | GB/s moved | of bandwidth | state bytes/param | vs torchsharp-adamw | vs came-reference-port |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            string Versus(string other) => results.FirstOrDefault(o => o.Impl == other && o.Set == r.Set && o.Threads == r.Threads) is { Impl: not null } o
                ? $"{o.NsPerParam / r.NsPerParam:F1}x" : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Impl} | {r.Set.Total / 1e6:F1}M | {r.Threads} | {r.NsPerParam:F2} ({r.Rounds.Min():F2}-{r.Rounds.Max():F2}) | {r.Bytes / r.NsPerParam:F1} | {r.Bytes / r.NsPerParam / bandwidth[r.Threads]:P0} | {stateBytes[(r.Impl, r.Set)] / (double)r.Set.Total:F3} | {Versus("torchsharp-adamw")} | {Versus("came-reference-port")} |");
        }
        File.WriteAllText(Path.Combine(outDir, "bench.md"), md.ToString());
        Console.WriteLine(md);
        Console.WriteLine($"Written to {Path.GetFullPath(outDir)} (bench.json, bench.md).");
        return cancel.IsCancellationRequested ? 130 : 0;
    }
}
