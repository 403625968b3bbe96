using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CameSharp.Cli.Models;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// A small BERT: token and learned position embeddings, pre-LayerNorm bidirectional blocks, and a masked-LM head
/// (dense, GELU, LayerNorm, then the output projection tied to the token embedding, plus a bias). The vocabulary
/// gains one id, [MASK]. Of each window, 15% of tokens are chosen; of those 80% become [MASK], 10% a random token
/// and 10% stay, and the loss is taken on the chosen ones.
/// </summary>
internal sealed class Bert : LanguageModel
{
    private const double ChooseRate = 0.15;
    private readonly Embedding tok, pos;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm ln_f, head_norm;
    private readonly Linear head_dense;
    private readonly Parameter head_bias;
    private readonly int context, vocab;

    public Bert(ModelConfig c) : base(nameof(Bert))
    {
        c.Validate();
        vocab = c.Vocab;
        tok = Embedding(c.Vocab + 1, c.Dim);
        pos = Embedding(c.Context, c.Dim);
        blocks = new ModuleList<Block>(Enumerable.Range(0, c.Layers).Select(_ => new Block(c.Dim, c.Heads, causal: false)).ToArray());
        ln_f = LayerNorm(c.Dim);
        head_dense = Linear(c.Dim, c.Dim);
        head_norm = LayerNorm(c.Dim);
        head_bias = new Parameter(torch.zeros(c.Vocab + 1));
        context = c.Context;
        RegisterComponents();
        InitializeWeights();
    }

    private int MaskId => vocab;

    public override int WindowLength => context;

    public override Tensor forward(Tensor idx)
    {
        var h = tok.call(idx) + pos.call(torch.arange(idx.shape[1], device: idx.device));
        foreach (var block in blocks) h = block.call(h);
        h = head_norm.call(functional.gelu(head_dense.call(ln_f.call(h))));
        return h.matmul(tok.weight!.t()) + head_bias;
    }

    public override (Tensor Loss, double Accuracy) Loss(Tensor windows, Generator masking, bool measureAccuracy)
    {
        var (input, labels) = Mask(windows, masking);
        var logits = call(input);
        var flatLabels = labels.reshape(-1);
        var loss = functional.cross_entropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), flatLabels, ignore_index: -100);
        double accuracy = double.NaN;
        if (measureAccuracy)
        {
            using var _ = torch.no_grad();
            var chosen = flatLabels.ne(-100);
            var correct = logits.reshape(-1, logits.shape[^1]).argmax(-1).eq(flatLabels).logical_and(chosen);
            accuracy = correct.sum().item<long>() / (double)Math.Max(1, chosen.sum().item<long>());
        }
        return (loss, accuracy);
    }

    /// <summary>BERT's masking: the corrupted input, and labels that are -100 (ignored) except at chosen positions.</summary>
    internal (Tensor Input, Tensor Labels) Mask(Tensor tokens, Generator generator)
    {
        // Drawn on the CPU, where the generator lives, so a seed masks the same tokens on every device.
        var chosen = torch.rand(tokens.shape, generator: generator).lt(ChooseRate).to(tokens.device);
        var action = torch.rand(tokens.shape, generator: generator).to(tokens.device);
        var random = torch.randint(0, vocab, tokens.shape, generator: generator).to(tokens.device);
        var input = torch.where(chosen.logical_and(action.lt(0.8)), torch.full_like(tokens, MaskId), tokens);
        input = torch.where(chosen.logical_and(action.ge(0.8)).logical_and(action.lt(0.9)), random, input);
        var labels = torch.where(chosen, tokens, torch.full_like(tokens, -100));
        return (input, labels);
    }
}
