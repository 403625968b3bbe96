using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CameSharp.TorchSharp.Tests.Docs;

/// <summary>
/// Every C# block of README.md compiles as written, as a user would paste it into the Program.cs of a new console
/// project (top-level statements, nullable enabled, the SDK's implicit usings) that references CameSharp,
/// CameSharp.TorchSharp and TorchSharp. Blocks are compiled, never run.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    // What `dotnet new console` imports without a using line (the SDK's ImplicitUsings).
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    public static TheoryData<int> Blocks()
    {
        var data = new TheoryData<int>();
        foreach (var block in ReadBlocks()) data.Add(block.Line);
        return data;
    }

    [Fact]
    public void The_readme_has_csharp_blocks_to_check()
    {
        // Guards the parser: a fence it stopped recognising would otherwise leave nothing to compile.
        Assert.True(ReadBlocks().Count >= 5, $"found {ReadBlocks().Count} C# blocks in {ReadmePath()}");
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles_as_written(int line)
    {
        var block = ReadBlocks().Single(b => b.Line == line);
        var code = CSharpSyntaxTree.ParseText(block.Code, Parse);
        var compilation = CSharpCompilation.Create(
            $"ReadmeBlockAtLine{line}",
            [code, CSharpSyntaxTree.ParseText(ImplicitUsings, Parse)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);

        // Errors and warnings alike: a block a user copies should build cleanly where warnings are errors, as here.
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d =>
        {
            string where = d.Location.SourceTree == code ? $"README.md:{line + 1 + d.Location.GetLineSpan().StartLinePosition.Line}" : "(outside the block)";
            return $"{where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage()}";
        }).ToList();
        Assert.True(result.Success && problems.Count == 0,
            $"The C# block at README.md:{line} does not compile cleanly:\n{string.Join("\n", problems)}");
    }

    private sealed record Block(int Line, string Code);

    [GeneratedRegex(@"^ {0,3}```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();

    [GeneratedRegex(@"^ {0,3}```\s*$")]
    private static partial Regex ClosingFence();

    /// <summary>The README's C# blocks, each with the 1-based line of its opening fence.</summary>
    private static List<Block> ReadBlocks()
    {
        var lines = File.ReadAllLines(ReadmePath());
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i])) continue;
            int end = i + 1;
            while (end < lines.Length && !ClosingFence().IsMatch(lines[end])) end++;
            Assert.True(end < lines.Length, $"the C# block at README.md:{i + 1} is never closed");
            blocks.Add(new Block(i + 1, string.Join("\n", lines[(i + 1)..end])));
            i = end;
        }
        return blocks;
    }

    private static string ReadmePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CameSharp.slnx"))) return Path.Combine(dir.FullName, "README.md");
        throw new FileNotFoundException($"no CameSharp.slnx above {AppContext.BaseDirectory}, so no README.md to check.");
    }

    /// <summary>
    /// The framework, CameSharp, CameSharp.TorchSharp and TorchSharp, and what those reference in turn: what a console
    /// project with a package reference to CameSharp.TorchSharp and a TorchSharp backend compiles against.
    /// </summary>
    private static MetadataReference[] LoadReferences()
    {
        var available = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.Length > 0)
            .DistinctBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase);
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var chosen = new HashSet<string>(available.Values.Where(p => Path.GetDirectoryName(p) == framework));
        var pending = new Queue<Assembly>([typeof(global::CameSharp.Came).Assembly, typeof(Optim).Assembly, typeof(global::TorchSharp.torch).Assembly]);
        while (pending.TryDequeue(out var assembly))
        {
            if (!chosen.Add(assembly.Location)) continue;
            foreach (var name in assembly.GetReferencedAssemblies())
                if (available.TryGetValue(name.Name!, out var path) && !chosen.Contains(path)) pending.Enqueue(Assembly.Load(name));
        }
        return chosen.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }
}
