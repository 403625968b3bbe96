using System.Globalization;
using CameSharp.Cli.Training;

namespace CameSharp.Cli.Reports;

/// <summary>A finished run: its summary and its metrics, read back from its folder.</summary>
internal sealed record RunRecord(RunSummary Summary, IReadOnlyList<(int Step, double Train, double? Val)> Metrics)
{
    public static RunRecord Read(string folder)
    {
        var summary = RunSummary.Read(Path.Combine(folder, "summary.json"));
        var rows = File.ReadLines(Path.Combine(folder, "metrics.csv")).Skip(1).Select(line => line.Split(','))
            .Select(c => (int.Parse(c[0], CultureInfo.InvariantCulture), double.Parse(c[1], CultureInfo.InvariantCulture),
                c[2].Length == 0 ? (double?)null : double.Parse(c[2], CultureInfo.InvariantCulture)))
            .ToList();
        return new RunRecord(summary, rows);
    }
}
