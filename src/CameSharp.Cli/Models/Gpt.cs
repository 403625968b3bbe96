using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CameSharp.Cli.Models;

/// <summary>
/// A small GPT-2: token and learned position embeddings, pre-LayerNorm causal blocks, a final LayerNorm, and the
/// output projection tied to the token embedding. Trained on next-token prediction.
/// </summary>
internal sealed class Gpt : LanguageModel
{
    private readonly Embedding tok, pos;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm ln_f;
    private readonly int context;

    public Gpt(ModelConfig c) : base(nameof(Gpt))
    {
        c.Validate();
        tok = Embedding(c.Vocab, c.Dim);
        pos = Embedding(c.Context, c.Dim);
        blocks = new ModuleList<Block>(Enumerable.Range(0, c.Layers).Select(_ => new Block(c.Dim, c.Heads, causal: true)).ToArray());
        ln_f = LayerNorm(c.Dim);
        context = c.Context;
        RegisterComponents();
        InitializeWeights();
    }

    public override int WindowLength => context + 1;

    public override Tensor forward(Tensor idx)
    {
        var h = tok.call(idx) + pos.call(torch.arange(idx.shape[1], device: idx.device));
        foreach (var block in blocks) h = block.call(h);
        return ln_f.call(h).matmul(tok.weight!.t());
    }

    public override (Tensor Loss, double Accuracy) Loss(Tensor windows, Generator masking, bool measureAccuracy)
    {
        var input = windows[.., ..^1];
        var target = windows[.., 1..];
        var logits = call(input);
        var loss = functional.cross_entropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), target.reshape(-1));
        return (loss, double.NaN);
    }
}
