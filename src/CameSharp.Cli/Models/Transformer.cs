using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CameSharp.Cli.Models;

/// <summary>Multi-head self-attention, causal (GPT) or bidirectional (BERT).</summary>
internal sealed class SelfAttention : Module<Tensor, Tensor>
{
    private readonly Linear qkv, proj;
    private readonly int heads;
    private readonly bool causal;

    public SelfAttention(int dim, int heads, bool causal) : base(nameof(SelfAttention))
    {
        qkv = Linear(dim, 3 * dim);
        proj = Linear(dim, dim);
        this.heads = heads;
        this.causal = causal;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        var parts = qkv.call(x).split(c, 2);
        Tensor Heads(Tensor z) => z.view(b, t, heads, c / heads).transpose(1, 2);
        var y = functional.scaled_dot_product_attention(Heads(parts[0]), Heads(parts[1]), Heads(parts[2]), is_casual: causal);
        return proj.call(y.transpose(1, 2).contiguous().view(b, t, c));
    }
}

/// <summary>A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)) with a GELU MLP of width 4d.</summary>
internal sealed class Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln1, ln2;
    private readonly SelfAttention attn;
    private readonly Linear fc, fcOut;

    public Block(int dim, int heads, bool causal) : base(nameof(Block))
    {
        ln1 = LayerNorm(dim);
        attn = new SelfAttention(dim, heads, causal);
        ln2 = LayerNorm(dim);
        fc = Linear(dim, 4 * dim);
        fcOut = Linear(4 * dim, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x + attn.call(ln1.call(x));
        return x + fcOut.call(functional.gelu(fc.call(ln2.call(x))));
    }
}

/// <summary>A language model trained by <see cref="Training.Trainer"/>.</summary>
internal abstract class LanguageModel : Module<Tensor, Tensor>
{
    protected LanguageModel(string name) : base(name) { }

    /// <summary>Tokens per training example: what <see cref="Loss"/> takes.</summary>
    public abstract int WindowLength { get; }

    /// <summary>The mean loss on a batch of windows, and for masked LM the accuracy on the chosen tokens (else NaN).</summary>
    public abstract (Tensor Loss, double Accuracy) Loss(Tensor windows, Generator masking, bool measureAccuracy);

    /// <summary>GPT-2's initialisation: N(0, 0.02) for matrices and embeddings, zero biases, unit LayerNorm gains.</summary>
    protected void InitializeWeights()
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains("ln") || name.EndsWith("norm.weight")) continue;
            if (p.dim() >= 2) p.normal_(0, 0.02);
            else if (name.EndsWith("bias")) p.zero_();
        }
    }
}
