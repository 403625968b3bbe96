using System.Diagnostics;
using System.Reflection;

namespace CameSharp.Cli.Training;

/// <summary>
/// Runs `came train` in a child process: each run's peak memory is its own, and one run's crash does not take the
/// others with it. The child shares the terminal, so its progress line shows through, and it hears Ctrl-C too.
/// </summary>
internal static class ChildRuns
{
    public static int Train(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running.");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        // Under `dotnet came.dll` the host is dotnet itself, which needs the entry assembly.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        start.ArgumentList.Add("train");
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}.");
        child.WaitForExit();
        return child.ExitCode;
    }
}
