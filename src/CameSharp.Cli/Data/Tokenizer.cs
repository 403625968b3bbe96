namespace CameSharp.Cli.Data;

/// <summary>Turns text into token ids.</summary>
internal abstract class Tokenizer
{
    public abstract string Name { get; }

    /// <summary>Ids are in [0, VocabSize).</summary>
    public abstract int VocabSize { get; }

    public abstract int[] Encode(string text);

    public static Tokenizer Create(string kind, string text) => kind switch
    {
        "char" => CharTokenizer.Fit(text),
        "bpe" => new BpeTokenizer(),
        _ => throw new UsageException($"--tokenizer must be char or bpe; got '{kind}'."),
    };
}

/// <summary>One token per distinct character of the corpus, in code-point order.</summary>
internal sealed class CharTokenizer : Tokenizer
{
    private readonly Dictionary<char, int> ids;

    private CharTokenizer(IEnumerable<char> alphabet)
    {
        ids = alphabet.Order().Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
    }

    public static CharTokenizer Fit(string text) => new(text.Distinct());

    public override string Name => "char";
    public override int VocabSize => ids.Count;
    public override int[] Encode(string text) => text.Select(c => ids[c]).ToArray();
}

/// <summary>GPT-2's byte-pair encoding (r50k_base), from SharpToken's embedded tables.</summary>
internal sealed class BpeTokenizer : Tokenizer
{
    private readonly SharpToken.GptEncoding encoding = SharpToken.GptEncoding.GetEncoding("r50k_base");

    public override string Name => "bpe";
    public override int VocabSize => 50257;
    public override int[] Encode(string text) => encoding.Encode(text).ToArray();
}
