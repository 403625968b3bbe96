namespace CameSharp.Cli.Bench;

/// <summary>
/// A GPT-2-like set of parameter shapes of about <see cref="Total"/> floats: per layer a d x 4d and a 4d x d matrix with
/// their 4d and d bias vectors, plus a vocab x d embedding and a final d vector.
/// </summary>
/// <param name="Gpt2">GPT-2's own shapes instead (<c>gpt2-small</c>: 124.4M parameters, the issues' reference set).</param>
internal sealed record ParameterSet(string Label, int Dim, int Vocab, int Layers, bool Gpt2 = false)
{
    /// <summary>GPT-2 small as Hugging Face's GPT2LMHeadModel holds it (the head is tied to wte): 124,439,808 parameters.</summary>
    public static ParameterSet Gpt2Small => new("gpt2-small", 768, 50257, 12, Gpt2: true);

    public IEnumerable<int[]> Shapes() => Gpt2 ? Gpt2Shapes() : GenericShapes();

    private IEnumerable<int[]> Gpt2Shapes()
    {
        yield return [Vocab, Dim];
        yield return [1024, Dim];
        for (int l = 0; l < Layers; l++)
        {
            yield return [Dim];
            yield return [Dim];
            yield return [Dim, 3 * Dim];
            yield return [3 * Dim];
            yield return [Dim, Dim];
            yield return [Dim];
            yield return [Dim];
            yield return [Dim];
            yield return [Dim, 4 * Dim];
            yield return [4 * Dim];
            yield return [4 * Dim, Dim];
            yield return [Dim];
        }
        yield return [Dim];
        yield return [Dim];
    }

    private IEnumerable<int[]> GenericShapes()
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
        if (text.Trim() == Gpt2Small.Label) return Gpt2Small;
        string t = text.Trim().ToUpperInvariant();
        double scale = t.EndsWith('G') ? 1e9 : t.EndsWith('M') ? 1e6 : t.EndsWith('K') ? 1e3 : 1;
        if (!double.TryParse(scale == 1 ? t : t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double n) || n * scale < 1e5)
            throw new UsageException($"--params: '{text}' is not a parameter count of at least 100K (like 10M, 100M, 300M) or gpt2-small.");
        long target = (long)(n * scale);
        int dim = target < 2_000_000 ? 64 : target < 50_000_000 ? 384 : target < 200_000_000 ? 768 : 1024;
        // GPT-2's vocabulary from 50M up; below, a vocabulary matrix of at most about 30% of the set.
        int vocab = target >= 50_000_000 ? 50257 : (int)Math.Clamp(0.3 * target / dim, 256, 8192);
        long perLayer = 8L * dim * dim + 5L * dim;
        int layers = (int)Math.Max(1, Math.Round((target - (long)vocab * dim) / (double)perLayer));
        return new ParameterSet(text.Trim(), dim, vocab, layers);
    }
}
