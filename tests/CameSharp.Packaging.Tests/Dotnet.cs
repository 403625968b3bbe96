using System.Diagnostics;
using System.Text;

namespace CameSharp.Packaging.Tests;

/// <summary>Runs a program (mostly `dotnet`) to completion and keeps everything it printed, for failure messages.</summary>
internal static class Dotnet
{
    public sealed record Result(string Command, int ExitCode, string Output)
    {
        public string Describe() => $"`{Command}` exited with {ExitCode}. Its output:\n{Output}";
    }

    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProgram("dotnet", workingDirectory, timeout, args);

    public static Result RunProgram(string program, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // What the test host's own MSBuild set must not steer the builds started here.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // No MSBuild node or compiler server may outlive the command: they would hold the test's output pipes open.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";

        string command = $"{program} {string.Join(' ', args)}";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) return new Result(command, -1, $"(killed after {timeout.TotalMinutes:F0} min)\n{output}");
        }
        process.WaitForExit();   // drains the asynchronous readers
        lock (output) return new Result(command, process.ExitCode, output.ToString());
    }
}
