using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli.Data;

/// <summary>A tokenized text file, split 90/10 into train and validation, and random windows of it.</summary>
internal sealed class Corpus
{
    private Corpus(string path, Tokenizer tokenizer, int[] train, int[] validation)
    {
        Path = path;
        Tokenizer = tokenizer;
        Train = train;
        Validation = validation;
    }

    public string Path { get; }
    public Tokenizer Tokenizer { get; }
    public int[] Train { get; }
    public int[] Validation { get; }

    /// <summary>The default corpus: ../shared/data/kjv.txt beside the repository or the working folder, if present.</summary>
    public static string? DefaultPath()
    {
        var starts = new[] { Environment.CurrentDirectory, AppContext.BaseDirectory };
        foreach (var start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "data", "kjv.txt");
                if (File.Exists(candidate)) return System.IO.Path.GetFullPath(candidate);
            }
        return null;
    }

    /// <summary>
    /// Reads and tokenizes <paramref name="path"/> (UTF-8). The first 90% of the tokens train, the last 10% validate:
    /// deterministic, and no window crosses the boundary.
    /// </summary>
    public static Corpus Load(string? path, string tokenizerKind, int context)
    {
        path ??= DefaultPath() ?? throw new UsageException(
            "no --data file given, and the default corpus ../shared/data/kjv.txt was not found beside the repository or the working folder.");
        if (!File.Exists(path)) throw new UsageException($"--data: the file '{path}' does not exist.");
        string text;
        try
        {
            text = File.ReadAllText(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new UsageException($"--data: '{path}' is not UTF-8 text.");
        }
        if (string.IsNullOrWhiteSpace(text)) throw new UsageException($"--data: the file '{path}' is empty.");
        var tokenizer = Tokenizer.Create(tokenizerKind, text);
        int[] tokens = tokenizer.Encode(text);
        int split = (int)(tokens.Length * 0.9);
        int[] train = tokens[..split], validation = tokens[split..];
        if (validation.Length <= context + 1 || train.Length <= context + 1)
            throw new UsageException(
                $"--data: '{path}' has {tokens.Length} tokens; with --context {context} it needs more than {10 * (context + 1)} so that both splits hold a window.");
        return new Corpus(System.IO.Path.GetFullPath(path), tokenizer, train, validation);
    }

    /// <summary><paramref name="batch"/> windows of <paramref name="length"/> tokens at random offsets of <paramref name="tokens"/>.</summary>
    public static Tensor Windows(int[] tokens, int batch, int length, Random rng)
    {
        var data = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int start = rng.Next(tokens.Length - length);
            for (int i = 0; i < length; i++) data[b * length + i] = tokens[start + i];
        }
        return torch.tensor(data, [batch, length]);
    }

    /// <summary>Evenly spaced windows over the validation split: the same every evaluation.</summary>
    public Tensor ValidationWindows(int batch, int length, int index, int batches)
    {
        var data = new long[batch * length];
        int span = Validation.Length - length;
        for (int b = 0; b < batch; b++)
        {
            int start = (int)((long)span * (index * batch + b) / Math.Max(1, batches * batch));
            for (int i = 0; i < length; i++) data[b * length + i] = Validation[start + i];
        }
        return torch.tensor(data, [batch, length]);
    }
}
