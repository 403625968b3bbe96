using ScottPlot;

namespace CameSharp.Cli.Reports;

/// <summary>loss.png: validation loss (markers, mean over seeds) and smoothed training loss (thin) per optimizer.</summary>
internal static class LossPlot
{
    public static void Write(string path, string title, IReadOnlyList<(string Optimizer, IReadOnlyList<RunRecord> Runs)> groups)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var (optimizer, runs) in groups)
        {
            var color = palette.GetColor(index++);
            var train = MeanBy(runs.SelectMany(r => Smooth(r.Metrics.Select(m => (m.Step, m.Train)).ToList())));
            var trainLine = plot.Add.ScatterLine(train.Select(p => (double)p.Step).ToArray(), train.Select(p => p.Value).ToArray());
            trainLine.Color = color.WithAlpha(0.45);
            trainLine.LineWidth = 1;
            var val = MeanBy(runs.SelectMany(r => r.Metrics.Where(m => m.Val is not null).Select(m => (m.Step, m.Val!.Value))));
            var valLine = plot.Add.Scatter(val.Select(p => (double)p.Step).ToArray(), val.Select(p => p.Value).ToArray());
            valLine.Color = color;
            valLine.LineWidth = 2.5f;
            valLine.MarkerSize = 6;
            valLine.LegendText = $"{optimizer} (validation)";
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss (nats/token); thin: smoothed training loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1000, 560);
    }

    /// <summary>An exponential moving average (α = 0.05), the usual way to read a noisy training curve.</summary>
    private static IEnumerable<(int Step, double Value)> Smooth(List<(int Step, double Value)> points)
    {
        double? ema = null;
        foreach (var (step, value) in points)
        {
            ema = ema is null ? value : 0.95 * ema.Value + 0.05 * value;
            yield return (step, ema.Value);
        }
    }

    private static List<(int Step, double Value)> MeanBy(IEnumerable<(int Step, double Value)> points) =>
        points.GroupBy(p => p.Step).OrderBy(g => g.Key).Select(g => (g.Key, g.Average(p => p.Value))).ToList();
}
