using CameSharp.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

public sealed class CameSharpOptimizerCheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("camesharp-torch-ckpt-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private sealed class Run : IDisposable
    {
        public readonly Parameter[] Params;
        public readonly optim.Optimizer Optimizer;

        public Run(string name, bool fast, Parameter[]? from = null)
        {
            Params =
            [
                TorchTestData.Param(CameSharpOptimizerTests.Random(20, 1), [4, 5]),
                TorchTestData.Param(CameSharpOptimizerTests.Random(5, 2), [5]),
                TorchTestData.Param(CameSharpOptimizerTests.Random(24, 3), [2, 3, 4]),
            ];
            if (from is not null)
                foreach (var (dst, src) in Params.Zip(from))
                    using (torch.no_grad()) dst.copy_(src);
            Optimizer = name switch
            {
                "came" or "came-bc" => Optim.Came([new Came.ParamGroup([Params[0], Params[2]]), new Came.ParamGroup([Params[1]], new Came.Options { weight_decay = 0 })],
                    lr: 1e-2, weight_decay: 0.01, bias_correction: name == "came-bc"),
                "adafactor" => Optim.Adafactor([new Adafactor.ParamGroup(Params)], beta1: 0.9),
                "adamw" => Optim.AdamW([new AdamW.ParamGroup([Params[0], Params[2]]), new AdamW.ParamGroup([Params[1]], new AdamW.Options { weight_decay = 0 })],
                    lr: 1e-2),
                _ => Optim.Lamb([new Lamb.ParamGroup(Params)], lr: 1e-2),
            };
            TorchTestData.SetFastPath(Optimizer, fast);
        }

        public void Steps(int from, int to)
        {
            for (int t = from; t < to; t++)
            {
                for (int i = 0; i < Params.Length; i++)
                    TorchTestData.SetGrad(Params[i], CameSharpOptimizerTests.Random((int)Params[i].NumberOfElements, 100 * t + i));
                Optimizer.step();
            }
        }

        public void Save(string path) => ((dynamic)Optimizer).Save(path);
        public void Load(string path) => ((dynamic)Optimizer).Load(path);
        public void Load(Stream stream) => ((dynamic)Optimizer).Load(stream);
        public void Save(Stream stream) => ((dynamic)Optimizer).Save(stream);

        public string Fingerprint()
        {
            dynamic o = Optimizer;
            return string.Join("|", Params.Select(p =>
            {
                TensorState s = o.StateOf(p);
                return string.Join(",", TorchTestData.Values(p)) + ";" + s.step + ";" + string.Join(",", s.Names.SelectMany(n => TorchTestData.Values(s[n])));
            })) + "|" + string.Join(";", Optimizer.ParamGroups.Cast<global::TorchSharp.Modules.ParamGroup>().Select(g => g.Options.LearningRate));
        }

        public void Dispose() => Optimizer.Dispose();
    }

    [Theory]
    [InlineData("came", true)]
    [InlineData("came", false)]
    [InlineData("came-bc", true)]
    [InlineData("came-bc", false)]
    [InlineData("adafactor", true)]
    [InlineData("lamb", false)]
    [InlineData("adamw", true)]
    [InlineData("adamw", false)]
    public void Resuming_from_a_checkpoint_is_bitwise_identical(string name, bool fast)
    {
        using var straight = new Run(name, fast);
        straight.Steps(0, 8);
        using var first = new Run(name, fast);
        first.Steps(0, 3);
        string path = Path.Combine(folder, "opt.safetensors");
        first.Save(path);
        using var resumed = new Run(name, fast, first.Params);
        resumed.Load(path);
        resumed.Steps(3, 8);
        Assert.Equal(straight.Fingerprint(), resumed.Fingerprint());
    }

    [Fact]
    public void Bias_correction_travels_with_the_group_hyperparameters()
    {
        string path = Path.Combine(folder, "bc.safetensors");
        string dict = Path.Combine(folder, "bc.bin");
        using var a = new Run("came-bc", fast: true);
        a.Steps(0, 2);
        a.Save(path);
        ((Came)a.Optimizer).save_state_dict(dict);
        using var b = new Run("came", fast: true, from: a.Params);
        b.Load(path);
        Assert.All(((Came)b.Optimizer).ParamGroups, g => Assert.True(((Came.Options)((global::TorchSharp.Modules.ParamGroup)g).Options).bias_correction));
        using var c = new Run("came", fast: false, from: a.Params);
        ((Came)c.Optimizer).load_state_dict(dict);
        Assert.All(((Came)c.Optimizer).ParamGroups, g => Assert.True(((Came.Options)((global::TorchSharp.Modules.ParamGroup)g).Options).bias_correction));
    }

    [Fact]
    public void A_save_removes_a_killed_save_s_temporary_and_a_missing_folder_is_named()
    {
        // The adapter shares the engine's atomic write; this checks it is wired to it.
        using var run = new Run("came", true);
        run.Steps(0, 1);
        string path = Path.Combine(folder, "opt.safetensors");
        string leftover = Path.Combine(folder, $".opt.safetensors.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(leftover, "partial");
        run.Save(path);
        Assert.Equal(["opt.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));

        string missing = Path.Combine(folder, "missing", "opt.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => run.Save(missing));
        Assert.Contains($"'{missing}'", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_optimizer_or_shape_is_refused_and_changes_nothing()
    {
        using var came = new Run("came", true);
        came.Steps(0, 2);
        string path = Path.Combine(folder, "came.safetensors");
        came.Save(path);

        using var lamb = new Run("lamb", true);
        lamb.Steps(0, 2);
        string before = lamb.Fingerprint();
        Assert.Contains("came", Assert.Throws<CheckpointException>(() => lamb.Load(path)).Message);
        Assert.Equal(before, lamb.Fingerprint());

        var other = new[] { TorchTestData.Param(new float[20], [5, 4]) };
        using var shaped = Optim.Came(other, lr: 1e-2);
        var e = Assert.Throws<CheckpointException>(() => shaped.Load(path));
        Assert.Contains("param group", e.Message);
    }

    [Fact]
    public void Truncated_or_bit_flipped_checkpoints_are_refused_without_a_partial_load()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("CAMESHARP_FUZZ_CASES"), out int n) && n > 0 ? Math.Max(n / 10, 1) : 300;
        using var source = new Run("came", true);
        source.Steps(0, 2);
        using var buffer = new MemoryStream();
        source.Save(buffer);
        byte[] good = buffer.ToArray();

        using var target = new Run("came", true);
        target.Steps(0, 4);
        string before = target.Fingerprint();
        var rng = new Random(9);
        for (int i = 0; i < cases; i++)
        {
            byte[] bad = i % 3 == 0 ? good[..rng.Next(good.Length)] : (byte[])good.Clone();
            if (i % 3 != 0) bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            Assert.Throws<CheckpointException>(() => target.Load(new MemoryStream(bad)));
        }
        Assert.Equal(before, target.Fingerprint());
        target.Load(new MemoryStream(good));
        Assert.NotEqual(before, target.Fingerprint());
    }
}
