using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

public sealed class TensorStateTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("camesharp-torch-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static (nn.Module<Tensor, Tensor> Model, Parameter[] Params) Model(int seed)
    {
        torch.manual_seed(seed);
        var model = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 4));
        return (model, model.parameters().ToArray());
    }

    private static optim.Optimizer Create(string name, Parameter[] ps) => name switch
    {
        "came" => Optim.Came(ps, lr: 1e-2, weight_decay: 0.01),
        "adafactor" => Optim.Adafactor(ps, beta1: 0.9),
        _ => Optim.Lamb(ps, lr: 1e-2),
    };

    private static void Train(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, int from, int to)
    {
        for (int t = from; t < to; t++)
        {
            var gen = new Generator((ulong)(1000 + t));
            using var scope = torch.NewDisposeScope();
            var x = torch.randn([32, 8], generator: gen);
            var y = torch.randn([32, 4], generator: gen);
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            opt.step();
        }
    }

    [Theory]
    [InlineData("came", true)]
    [InlineData("came", false)]
    [InlineData("adafactor", true)]
    [InlineData("lamb", false)]
    public void A_run_resumed_from_save_state_dict_continues_bitwise_identically(string name, bool fastPath)
    {
        var (straight, sp) = Model(1);
        var initial = sp.Select(p => p.detach().clone()).ToArray();
        using var so = Create(name, sp);
        TorchTestData.SetFastPath(so, fastPath);
        Train(straight, so, 0, 12);

        // Initial weights are copied, not re-seeded: torch's global generator is shared with test classes running in parallel.
        var (first, fp) = Model(1);
        foreach (var (dst, src) in fp.Zip(initial))
            using (torch.no_grad()) dst.copy_(src);
        using var fo = Create(name, fp);
        TorchTestData.SetFastPath(fo, fastPath);
        Train(first, fo, 0, 5);
        string path = Path.Combine(folder, $"{name}.bin");
        ((global::TorchSharp.Modules.OptimizerHelper)fo).save_state_dict(path);

        var (resumed, rp) = Model(2);
        foreach (var (dst, src) in rp.Zip(fp))
            using (torch.no_grad()) dst.copy_(src);
        using var ro = Create(name, rp);
        TorchTestData.SetFastPath(ro, fastPath);
        ((global::TorchSharp.Modules.OptimizerHelper)ro).load_state_dict(path);
        Train(resumed, ro, 5, 12);

        foreach (var (a, b) in sp.Zip(rp))
            Assert.Equal(TorchTestData.Values(a), TorchTestData.Values(b));
    }
}
