using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace CameSharp.Packaging.Tests;

/// <summary>
/// What a user does with the packages: a fresh project that references them from a folder, and `came` installed as a
/// .NET tool. Both must work on this machine with no step of their own (on Debian 12, TorchSharp's native library
/// only loads through the fix the packages carry).
/// </summary>
public sealed class PackageTests(PackedFeed feed, ITestOutputHelper log) : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [SupportedPlatformFact]
    public void A_fresh_project_trains_saves_loads_and_continues_from_the_packages()
    {
        Assert.True(feed.Failure is null, feed.Failure);
        log.WriteLine($"Packed {feed.Version} in {feed.PackTime.TotalSeconds:F0} s.");
        string project = Path.Combine(feed.Temporary, "consumer");
        Directory.CreateDirectory(project);
        foreach (var file in Directory.GetFiles(Path.Combine(feed.Repository, "tests", "consumer")))
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        // The packed folder beside the usual sources, as a user would add it.
        File.WriteAllText(Path.Combine(project, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="camesharp-packed" value="{feed.Folder}" />
              </packageSources>
            </configuration>
            """);

        var run = Dotnet.Run(project, Long, "run", "-c", "Release", $"-p:CameSharpVersion={feed.Version}");
        log.WriteLine(run.Describe());

        Assert.True(run.ExitCode == 0 && run.Output.Contains("consumer: OK"), run.Describe());
    }

    [SupportedPlatformFact]
    public void Came_installs_as_a_tool_and_trains()
    {
        Assert.True(feed.Failure is null, feed.Failure);
        string tools = Path.Combine(feed.Temporary, "tools");
        var install = Dotnet.Run(feed.Temporary, Long,
            "tool", "install", "CameSharp.Cli", "--tool-path", tools, "--add-source", feed.Folder, "--version", feed.Version);
        Assert.True(install.ExitCode == 0, install.Describe());
        string came = Path.Combine(tools, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "came.exe" : "came");

        var help = Dotnet.RunProgram(came, feed.Temporary, Long, "--help");
        Assert.True(help.ExitCode == 0 && help.Output.Contains("train"), help.Describe());

        string corpus = Path.Combine(feed.Temporary, "tiny.txt");
        File.WriteAllLines(corpus, Enumerable.Range(0, 400).Select(i => $"In the beginning {i % 7} the word was {i % 13}, and it was good."));
        string output = Path.Combine(feed.Temporary, "run");
        var train = Dotnet.RunProgram(came, feed.Temporary, Long,
            "train", "--model", "gpt", "--optimizer", "came", "--steps", "5", "--data", corpus, "--out", output,
            "--dim", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4", "--eval-every", "5", "--threads", "1");
        log.WriteLine(train.Describe());
        Assert.True(train.ExitCode == 0 && File.Exists(Path.Combine(output, "summary.json")), train.Describe());
    }
}
