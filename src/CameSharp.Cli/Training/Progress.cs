using System.Diagnostics;

namespace CameSharp.Cli.Training;

/// <summary>
/// One live line on a terminal (step, loss, tokens/s, ETA), redrawn in place; when output is redirected, a plain line
/// every tenth of the run instead, so logs stay readable.
/// </summary>
internal sealed class Progress(string label, int total)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly bool live = !Console.IsErrorRedirected;
    private int lastPrinted;

    public void Report(int step, double trainLoss, double? valLoss, double tokensPerSecond)
    {
        double elapsed = clock.Elapsed.TotalSeconds;
        var eta = TimeSpan.FromSeconds(elapsed / step * (total - step));
        string val = valLoss is { } v ? $"  val {v:F3}" : "";
        string text = $"{label} step {step}/{total}  loss {trainLoss:F3}{val}  {tokensPerSecond / 1000:F1}k tok/s  ETA {eta:mm\\:ss}";
        if (live)
        {
            int width = 24, filled = (int)((long)width * step / total);
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}   ");
            if (step == total) Console.Error.WriteLine();
        }
        else if (step == total || step * 10 / total > lastPrinted * 10 / total || valLoss is not null)
        {
            Console.Error.WriteLine(text);
            lastPrinted = step;
        }
    }

    public void Interrupted(int step)
    {
        if (live) Console.Error.WriteLine();
        Console.Error.WriteLine($"{label}: stopped at step {step}/{total}; what was written is kept.");
    }
}
