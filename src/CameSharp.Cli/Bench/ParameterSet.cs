namespace CameSharp.Cli.Bench;

/// <summary>
/// A GPT-2-like set of parameter shapes of about <see cref="Total"/> floats: per layer a d x 4d and a 4d x d matrix with
/// their 4d and d bias vectors, plus a vocab x d embedding and a final d vector.
/// </summary>
internal sealed record ParameterSet(string Label, int Dim, int Vocab, int Layers)
{
    public IEnumerable<int[]> Shapes()
    {
        yield return [Vocab, Dim];
        for (int l = 0; l < Layers; l++)
        {
            yield return [Dim, 4 * Dim];
            yield return [4 * Dim];
            yield return [4 * Dim, Dim];
            yield return [Dim];
        }
        yield return [Dim];
    }

    public long Total => Shapes().Sum(s => s.Aggregate(1L, (a, b) => a * b));

    /// <summary>Parses "10M", "100M", "1.5G" or a plain count, and picks a width and depth that reach it.</summary>
    public static ParameterSet Parse(string text)
    {
        string t = text.Trim().ToUpperInvariant();
        double scale = t.EndsWith('G') ? 1e9 : t.EndsWith('M') ? 1e6 : t.EndsWith('K') ? 1e3 : 1;
        if (!double.TryParse(scale == 1 ? t : t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double n) || n * scale < 1e5)
            throw new UsageException($"--params: '{text}' is not a parameter count of at least 100K (like 10M, 100M, 300M).");
        long target = (long)(n * scale);
        int dim = target < 2_000_000 ? 64 : target < 50_000_000 ? 384 : target < 200_000_000 ? 768 : 1024;
        // GPT-2's vocabulary from 50M up; below, a vocabulary matrix of at most about 30% of the set.
        int vocab = target >= 50_000_000 ? 50257 : (int)Math.Clamp(0.3 * target / dim, 256, 8192);
        long perLayer = 8L * dim * dim + 5L * dim;
        int layers = (int)Math.Max(1, Math.Round((target - (long)vocab * dim) / (double)perLayer));
        return new ParameterSet(text.Trim(), dim, vocab, layers);
    }
}
