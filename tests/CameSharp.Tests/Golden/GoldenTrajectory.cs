using System.Text.Json;
using System.Text.Json.Nodes;

namespace CameSharp.Tests.Golden;

/// <summary>One reference run from ../shared/golden: an optimizer, its hyperparameters, and the parameters after every step.</summary>
public sealed record GoldenTrajectory(
    string Name,
    string Optimizer,
    JsonObject Hyper,
    double Rtol,
    IReadOnlyList<GoldenParameter> Params,
    IReadOnlyList<GoldenStep> Steps)
{
    /// <summary>The engine options for this file; an unknown optimizer or hyperparameter key throws.</summary>
    public OptimizerOptions Options() => OptimizerOptions.FromReference(Optimizer, Hyper);

    /// <summary>The folder named by CAMESHARP_GOLDEN_DIR, or ../shared/golden beside the repository.</summary>
    public static string Folder()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("CAMESHARP_GOLDEN_DIR");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
        return Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "golden"));
    }

    /// <summary>The repository root: the nearest folder above the test binaries that holds CameSharp.slnx.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CameSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No CameSharp.slnx above {AppContext.BaseDirectory}.");
    }

    public static GoldenTrajectory Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var hyper = JsonNode.Parse(root.GetProperty("hyper").GetRawText())!.AsObject();
        var ps = root.GetProperty("params").EnumerateArray().Select(p => new GoldenParameter(
            p.GetProperty("name").GetString()!,
            p.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
            Floats(p.GetProperty("init")))).ToList();
        var steps = root.GetProperty("steps").EnumerateArray().Select(s => new GoldenStep(
            s.GetProperty("grads").EnumerateObject().ToDictionary(g => g.Name, g => Floats(g.Value)),
            s.GetProperty("params").EnumerateObject().ToDictionary(g => g.Name, g => Doubles(g.Value)))).ToList();
        return new GoldenTrajectory(
            root.GetProperty("name").GetString()!,
            root.GetProperty("optimizer").GetString()!,
            hyper,
            root.GetProperty("rtol").GetDouble(),
            ps,
            steps);
    }

    /// <summary>
    /// The tolerance rule of golden/README.md: max |p − p_ref| ≤ rtol · max |p_ref − init| + 4 (t + 1) 2⁻²³ max |p_ref|.
    /// Returns the error and the bound.
    /// </summary>
    public (double Error, double Bound) Compare(int step, GoldenParameter param, ReadOnlySpan<float> actual)
    {
        double[] expected = Steps[step].Params[param.Name];
        double error = 0, moved = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
            moved = Math.Max(moved, Math.Abs(expected[i] - param.Init[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        if (double.IsNaN(error)) error = double.PositiveInfinity;
        return (error, Rtol * moved + 4.0 * (step + 1) * Math.Pow(2, -23) * scale);
    }

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
}

public sealed record GoldenParameter(string Name, int[] Shape, float[] Init);

public sealed record GoldenStep(IReadOnlyDictionary<string, float[]> Grads, IReadOnlyDictionary<string, double[]> Params);
