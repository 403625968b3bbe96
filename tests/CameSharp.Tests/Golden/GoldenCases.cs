namespace CameSharp.Tests.Golden;

/// <summary>
/// Theory data: one case per *.json in the golden folder. A missing or empty folder yields one case naming the
/// folder, which the test turns into a failure, so that no configuration can make the golden tests vanish.
/// </summary>
public static class GoldenCases
{
    public const string MissingPrefix = "missing:";

    public static IEnumerable<object[]> Files()
    {
        string folder = GoldenTrajectory.Folder();
        string[] files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0)
        {
            yield return [MissingPrefix + folder];
            yield break;
        }
        foreach (var f in files) yield return [f];
    }

    /// <summary>Fails with a clear message when the case stands for a missing or empty folder.</summary>
    public static void AssertIsFile(string path)
    {
        if (!path.StartsWith(MissingPrefix, StringComparison.Ordinal)) return;
        string folder = path[MissingPrefix.Length..];
        Xunit.Assert.Fail(Directory.Exists(folder)
            ? $"The golden folder {folder} holds no *.json files (set CAMESHARP_GOLDEN_DIR to a folder that does)."
            : $"The golden folder {folder} does not exist (set CAMESHARP_GOLDEN_DIR, or put ../shared/golden beside the repository).");
    }
}
