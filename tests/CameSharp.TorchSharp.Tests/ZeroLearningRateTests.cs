using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>Schedules that reach a learning rate of 0, which torch.optim accepts: a warmup from 0, OneCycleLR's end.</summary>
public sealed class ZeroLearningRateTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("camesharp-torch-lr0-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Parameter[] Parameters() =>
    [
        TorchTestData.Param(CameSharpOptimizerTests.Random(20, 1), [4, 5]),
        TorchTestData.Param(CameSharpOptimizerTests.Random(5, 2), [5]),
    ];

    // Adafactor without momentum: with it the parameters coast on β1·m at lr 0, as transformers' do.
    private static optim.Optimizer Create(string name, Parameter[] ps) => name switch
    {
        "came" => Optim.Came(ps, lr: 1e-2, weight_decay: 0.01),
        "adafactor" => Optim.Adafactor(ps, lr: 1e-2, relative_step: false, scale_parameter: false, weight_decay: 0.01),
        "adamw" => Optim.AdamW(ps, lr: 1e-2),
        _ => Optim.Lamb(ps, lr: 1e-2),
    };

    private static void SetGradients(Parameter[] ps, int seed)
    {
        for (int i = 0; i < ps.Length; i++)
            TorchTestData.SetGrad(ps[i], CameSharpOptimizerTests.Random((int)ps[i].NumberOfElements, 10 * seed + i));
    }

    private static TensorState StateOf(optim.Optimizer opt, Parameter p) => opt switch
    {
        Came c => c.StateOf(p),
        Adafactor a => a.StateOf(p),
        AdamW w => w.StateOf(p),
        _ => ((Lamb)opt).StateOf(p),
    };

    private static int[] Bits(Parameter[] ps) =>
        ps.SelectMany(TorchTestData.Values).Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData("came", true)]
    [InlineData("came", false)]
    [InlineData("adafactor", true)]
    [InlineData("adafactor", false)]
    [InlineData("adamw", true)]
    [InlineData("adamw", false)]
    [InlineData("lamb", true)]
    [InlineData("lamb", false)]
    public void A_LambdaLR_warmup_from_0_steps_without_moving_the_parameters_at_first(string name, bool fast)
    {
        var ps = Parameters();
        using var opt = Create(name, ps);
        TorchTestData.SetFastPath(opt, fast);
        var warmup = torch.optim.lr_scheduler.LambdaLR(opt, step => Math.Min(1.0, step / 4.0));
        Assert.Equal(0, opt.ParamGroups.Single().LearningRate);
        // −0 values: a pass computing p − 0·x turns some into +0, which only a bitwise comparison sees.
        using (torch.no_grad())
            foreach (var p in ps) p[0].fill_(-0f);
        var before = Bits(ps);

        SetGradients(ps, 1);
        opt.step();
        warmup.step();
        Assert.Equal(before, Bits(ps));
        Assert.All(ps, p => Assert.Equal(1, StateOf(opt, p).step));
        Assert.Equal(0.25e-2, opt.ParamGroups.Single().LearningRate, 12);

        SetGradients(ps, 2);
        opt.step();
        Assert.NotEqual(before, Bits(ps));
        Assert.Equal(fast ? ps.Length : 0, TorchTestData.FastPathParameters(opt));
    }

    [Theory]
    [InlineData("came")]
    [InlineData("adafactor")]
    [InlineData("lamb")]
    public void Save_after_a_OneCycleLR_loop_ends_at_0_works_and_Load_restores_it(string name)
    {
        var ps = Parameters();
        using var opt = Create(name, ps);
        var schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr: 1e-2, total_steps: 6);
        for (int t = 0; t < 6; t++)
        {
            SetGradients(ps, t);
            opt.step();
            schedule.step();
        }
        Assert.Equal(0, opt.ParamGroups.Single().LearningRate);
        string path = Path.Combine(folder, $"{name}.safetensors");
        ((dynamic)opt).Save(path);

        var other = Parameters();
        using var loaded = Create(name, other);
        ((dynamic)loaded).Load(path);
        Assert.Equal(0, loaded.ParamGroups.Single().LearningRate);
        for (int i = 0; i < ps.Length; i++)
        {
            TensorState a = StateOf(opt, ps[i]), b = StateOf(loaded, other[i]);
            Assert.Equal(6, b.step);
            Assert.All(a.Names, n => Assert.Equal(TorchTestData.Values(a[n]), TorchTestData.Values(b[n])));
        }
    }
}
