using System.Diagnostics;

namespace CameSharp.Cli.Tests;

/// <summary>Runs the real `came` (came.dll beside the tests) as a process, as a user would.</summary>
internal static class CameRunner
{
    public static (int Code, string Out, string Err) Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "came.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"came {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts `came` without waiting, for tests that interrupt it.</summary>
    public static Process Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "came.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    /// <summary>Flags for a model small enough to train in seconds.</summary>
    public static readonly string[] Tiny =
        ["--dim", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4", "--steps", "6", "--eval-every", "3", "--threads", "1"];

    public static string Corpus(string folder)
    {
        string path = Path.Combine(folder, "tiny.txt");
        var lines = Enumerable.Range(0, 400).Select(i => $"In the beginning {i % 7} the word was {i % 13}, and it was good.");
        File.WriteAllLines(path, lines);
        return path;
    }
}
