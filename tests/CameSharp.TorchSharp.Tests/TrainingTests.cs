using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>Small models trained a few hundred steps with each optimizer must actually learn.</summary>
public sealed class TrainingTests(ITestOutputHelper output)
{
    private static optim.Optimizer Create(string name, IEnumerable<Parameter> ps) => name switch
    {
        "came" => Optim.Came(ps, lr: 3e-3, weight_decay: 0.01),
        "adafactor" => Optim.Adafactor(ps, lr: 3e-3, beta1: 0.9, relative_step: false, scale_parameter: false),
        _ => Optim.Lamb(ps, lr: 1e-2),
    };

    [Theory]
    [InlineData("came")]
    [InlineData("adafactor")]
    [InlineData("lamb")]
    public void An_mlp_fits_a_smooth_function(string name)
    {
        torch.manual_seed(7);
        var model = nn.Sequential(nn.Linear(2, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1));
        using var opt = Create(name, model.parameters());
        var gen = new Generator(11);
        var x = torch.rand([512, 2], generator: gen) * 4 - 2;
        var y = (x[.., 0] * 1.5).sin() + x[.., 1].square() * 0.5;
        y = y.unsqueeze(1);
        double first = 0, last = 0;
        for (int t = 0; t < 400; t++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            opt.step();
            if (t == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        output.WriteLine($"{name}: mse {first:F4} -> {last:F4}");
        Assert.True(last < 0.02 && last < first / 20, $"{name}: mse {first:F4} -> {last:F4}");
    }

    /// <summary>A causal transformer must learn to copy: sequences a1..a8 a1..a8, scored on the second half.</summary>
    [Theory]
    [InlineData("came")]
    [InlineData("adafactor")]
    [InlineData("lamb")]
    public void A_small_transformer_learns_to_copy(string name)
    {
        const int vocab = 10, half = 8, length = 2 * half, dim = 48;
        torch.manual_seed(3);
        var embed = nn.Embedding(vocab, dim);
        var position = nn.Embedding(length, dim);
        var block = nn.TransformerEncoderLayer(dim, 4, dim_feedforward: 96, dropout: 0.0);
        var head = nn.Linear(dim, vocab);
        var modules = new nn.Module[] { embed, position, block, head };
        using var opt = Create(name, modules.SelectMany(m => m.parameters()));
        var mask = torch.triu(torch.full([length, length], float.NegativeInfinity), 1);
        var positions = torch.arange(length);
        var gen = new Generator(5);
        double last = 0;
        for (int t = 0; t < 300; t++)
        {
            using var scope = torch.NewDisposeScope();
            var firstHalf = torch.randint(0, vocab, [32, half], generator: gen);
            var seq = torch.cat([firstHalf, firstHalf], 1);
            var h = embed.call(seq) + position.call(positions);
            h = block.call(h.transpose(0, 1), mask).transpose(0, 1);
            var logits = head.call(h);
            // Predict token i+1 from positions 0..i; score the copied half, which attention can recover exactly.
            var predicted = logits[.., (half - 1)..(length - 1)].reshape(-1, vocab);
            var target = seq[.., half..].reshape(-1);
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(predicted, target);
            loss.backward();
            opt.step();
            last = loss.item<float>();
        }
        output.WriteLine($"{name}: copy loss {last:F4} (chance {Math.Log(vocab):F2})");
        Assert.True(last < 0.25, $"{name}: copy loss {last:F4} after 300 steps (chance {Math.Log(vocab):F2})");
    }
}
