using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace CameSharp.Packaging.Tests;

/// <summary>
/// The three libraries and the `came` tool packed, once for the test class, into a temporary folder that serves as a
/// package source. Each run packs a version of its own (the repository's version with a unique prerelease label), so
/// the global NuGet cache can never hand a test a copy packed by an earlier run; the cached copies of that version
/// are removed afterwards. Builds go to a temporary artifacts folder, never to the repository's bin/ and obj/,
/// which other test assemblies running at the same time are using.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    /// <summary>The platforms libtorch-cpu ships, so the ones the packages and the tool can run on.</summary>
    public static readonly string[] Platforms = ["linux-x64", "win-x64", "osx-arm64"];

    public static bool Supported => Platforms.Contains(RuntimeInformation.RuntimeIdentifier);

    public string Repository { get; }
    public string Temporary { get; }
    public string Folder { get; }
    public string Version { get; } = "";
    /// <summary>How long packing took, for the tests' logs.</summary>
    public TimeSpan PackTime { get; }
    /// <summary>Set when packing failed: every test then fails with it.</summary>
    public string? Failure { get; }

    public PackedFeed()
    {
        Repository = FindRepository();
        Temporary = Directory.CreateTempSubdirectory("camesharp-packaging-").FullName;
        Folder = Path.Combine(Temporary, "feed");
        if (!Supported) return;

        string suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string artifacts = Path.Combine(Temporary, "artifacts");
        string[] common = ["-c", "Release", "-o", Folder, "--artifacts-path", artifacts, $"-p:VersionSuffix={suffix}", "-nodeReuse:false"];
        (string Project, string[] Extra)[] packs =
        [
            ("src/CameSharp/CameSharp.csproj", []),
            ("src/CameSharp.Gpu/CameSharp.Gpu.csproj", []),
            ("src/CameSharp.TorchSharp/CameSharp.TorchSharp.csproj", []),
            // One platform's tool package is enough to install here, and packing libtorch for all three takes minutes.
            ("src/CameSharp.Cli/CameSharp.Cli.csproj", [$"-p:ToolPackageRuntimeIdentifiers={RuntimeInformation.RuntimeIdentifier}"]),
        ];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (project, extra) in packs)
        {
            var result = Dotnet.Run(Repository, TimeSpan.FromMinutes(10), ["pack", project, .. common, .. extra]);
            if (result.ExitCode != 0)
            {
                Failure = result.Describe();
                return;
            }
        }
        PackTime = clock.Elapsed;
        var adapter = Directory.GetFiles(Folder, "CameSharp.TorchSharp.*.nupkg").Single();
        Version = Regex.Match(Path.GetFileName(adapter), @"^CameSharp\.TorchSharp\.(.+)\.nupkg$").Groups[1].Value;
    }

    public void Dispose()
    {
        try { Directory.Delete(Temporary, recursive: true); } catch (IOException) { }
        if (Version.Length == 0) return;
        var locals = Dotnet.Run(Path.GetTempPath(), TimeSpan.FromMinutes(1), "nuget", "locals", "global-packages", "--list");
        var match = Regex.Match(locals.Output, @"global-packages:\s*(.+)");
        if (!match.Success) return;
        string cache = match.Groups[1].Value.Trim();
        foreach (var id in new[] { "camesharp", "camesharp.gpu", "camesharp.torchsharp", "camesharp.cli", $"camesharp.cli.{RuntimeInformation.RuntimeIdentifier}" })
        {
            string cached = Path.Combine(cache, id, Version.ToLowerInvariant());
            try
            {
                if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
                // The id's folder too when this run's version was all it held.
                if (Directory.Exists(Path.GetDirectoryName(cached)) && !Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(cached)!).Any())
                    Directory.Delete(Path.GetDirectoryName(cached)!);
            }
            catch (IOException) { }
        }
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CameSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No CameSharp.slnx above {AppContext.BaseDirectory}.");
    }
}
