// A user's training loop on the packed packages: a small MLP trained with CAME under a LambdaLR warmup that starts at
// lr 0, its optimizer saved, loaded into a fresh optimizer over a reloaded model, and both runs continued. The resumed
// run must match the uninterrupted one bitwise. Exit code 0 when everything holds; the lines say what was checked.
using System.Runtime.InteropServices;
using CameSharp.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

const int StepsBeforeSave = 40, StepsAfterSave = 40, WarmupSteps = 10;
const double LearningRate = 2e-3;
Func<int, double> warmup = epoch => Math.Min(1.0, epoch / (double)WarmupSteps);   // 0 at the first step

string folder = Directory.CreateTempSubdirectory("camesharp-consumer-").FullName;
try
{
    var gen = new Generator(11);
    var x = torch.rand([256, 4], generator: gen) * 4 - 2;
    var y = (x[.., 0] * 1.5).sin().unsqueeze(1) + x[.., 1..2].square() * 0.5;

    torch.manual_seed(7);
    var model = NewModel();
    var optimizer = Optim.Came(model.parameters(), lr: LearningRate, weight_decay: 0.01);
    var scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup);
    Check(optimizer.ParamGroups.First().LearningRate == 0, "the warmup starts at lr 0");

    var initial = Snapshot(model);
    double firstLoss = Step(model, optimizer, x, y);
    scheduler.step();
    Check(Same(initial, Snapshot(model)), "no parameter moved at lr 0");

    double loss = firstLoss;
    for (int t = 1; t < StepsBeforeSave; t++)
    {
        loss = Step(model, optimizer, x, y);
        scheduler.step();
    }

    string optimizerPath = Path.Combine(folder, "optimizer.safetensors");
    string modelPath = Path.Combine(folder, "model.bin");
    optimizer.Save(optimizerPath);
    model.save(modelPath);
    Console.WriteLine($"saved after {StepsBeforeSave} steps: loss {firstLoss:F4} -> {loss:F4}, {new FileInfo(optimizerPath).Length} bytes of optimizer state");

    // A fresh process would start here: a new model from its file, a new optimizer loaded from its checkpoint, and the
    // schedule resumed where it stopped.
    var resumedModel = NewModel();
    resumedModel.load(modelPath);
    var resumed = Optim.Came(resumedModel.parameters(), lr: LearningRate, weight_decay: 0.01);
    resumed.Load(optimizerPath);
    var resumedScheduler = torch.optim.lr_scheduler.LambdaLR(resumed, warmup, last_epoch: StepsBeforeSave - 1);
    Check(resumed.ParamGroups.First().LearningRate == optimizer.ParamGroups.First().LearningRate, "the resumed schedule gives the same lr");

    double resumedLoss = 0;
    for (int t = 0; t < StepsAfterSave; t++)
    {
        loss = Step(model, optimizer, x, y);
        scheduler.step();
        resumedLoss = Step(resumedModel, resumed, x, y);
        resumedScheduler.step();
    }
    Console.WriteLine($"continued {StepsAfterSave} steps: loss {loss:F4} uninterrupted, {resumedLoss:F4} resumed");
    Check(Same(Snapshot(model), Snapshot(resumedModel)), "the resumed run equals the uninterrupted one bitwise");
    Check(loss < firstLoss / 10, $"the loss fell ({firstLoss:F4} -> {loss:F4})");
    Console.WriteLine("consumer: OK");
    return 0;
}
catch (CheckFailed e)
{
    Console.Error.WriteLine($"consumer: FAILED: {e.Message}");
    return 1;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static nn.Module<Tensor, Tensor> NewModel() =>
    nn.Sequential(nn.Linear(4, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 1));

static double Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y)
{
    using var scope = torch.NewDisposeScope();
    optimizer.zero_grad();
    var loss = nn.functional.mse_loss(model.call(x), y);
    loss.backward();
    optimizer.step();
    return loss.item<float>();
}

static float[][] Snapshot(nn.Module<Tensor, Tensor> model) =>
    model.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToArray();

static bool Same(float[][] a, float[][] b) =>
    a.Length == b.Length && a.Zip(b).All(pair => MemoryMarshal.AsBytes(pair.First.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(pair.Second.AsSpan())));

static void Check(bool condition, string what)
{
    if (!condition) throw new CheckFailed(what);
    Console.WriteLine($"ok: {what}");
}

sealed class CheckFailed(string message) : Exception(message);
