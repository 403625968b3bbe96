using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli.Bench;

/// <summary>
/// The machine's memory bandwidth, measured as STREAM's triad a = b + s·c over arrays far larger than the caches, on
/// the same threads the optimizers use. Counts 12 bytes per element (two reads and a write), as STREAM does. On a GPU,
/// the copy bandwidth of its memory instead (<see cref="MeasureDeviceGBps"/>).
/// </summary>
internal static class Bandwidth
{
    public static double MeasureGBps(int threads, int elements = 64 << 20, int repeats = 5)
    {
        var a = new float[elements];
        var b = new float[elements];
        var c = new float[elements];
        Array.Fill(b, 1f);
        Array.Fill(c, 2f);
        double best = double.MaxValue;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        int chunk = elements / threads;
        for (int r = 0; r < repeats + 1; r++)
        {
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, options, t =>
            {
                int start = t * chunk, end = t == threads - 1 ? elements : start + chunk;
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(c.AsSpan(start, end - start), 3f, b.AsSpan(start, end - start), a.AsSpan(start, end - start));
            });
            if (r > 0) best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        GC.KeepAlive(a);
        return 12.0 * elements / best / 1e9;
    }

    /// <summary>
    /// A device's copy bandwidth: torch's copy of one tensor into another, both far larger than the GPU's caches, timed
    /// between synchronisations. Counts 8 bytes per element (a read and a write), the bytes an optimizer's pass counts.
    /// </summary>
    public static double MeasureDeviceGBps(Device device, long elements = 64 << 20, int repeats = 20)
    {
        using var source = torch.ones(elements, device: device);
        using var target = torch.empty(elements, device: device);
        double best = double.MaxValue;
        for (int r = 0; r < repeats + 1; r++)
        {
            Devices.Synchronize(device);
            var watch = Stopwatch.StartNew();
            target.copy_(source);
            Devices.Synchronize(device);
            if (r > 0) best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return 8.0 * elements / best / 1e9;
    }
}
