using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CameSharp.Cli.Bench;

using Parameter = global::TorchSharp.Modules.Parameter;
using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

/// <summary>
/// The baseline of `came bench`: the official came_pytorch step translated op by op into TorchSharp, as a user
/// porting it line by line would write it (default hyperparameters, no weight decay). Not used for training.
/// </summary>
internal sealed class CameReferencePort : OptimizerHelper
{
    private readonly Parameter[] tensors;
    private readonly double lr;
    private readonly Dictionary<Parameter, Dictionary<string, Tensor>> state = [];
    private const double Beta1 = 0.9, Beta2 = 0.999, Beta3 = 0.9999, Eps1 = 1e-30, Eps2 = 1e-16, Clip = 1.0;

    public CameReferencePort(IEnumerable<Parameter> parameters, double lr)
    {
        tensors = parameters.ToArray();
        this.lr = lr;
        _parameter_groups = [new ParamGroup { Parameters = tensors, Options = new OptimizerOptions { LearningRate = lr } }];
    }

    private static Tensor ApproxSqGrad(Tensor row, Tensor col)
    {
        var r = (row / row.mean([-1L], keepdim: true)).rsqrt_().unsqueeze(-1);
        var c = col.unsqueeze(-2).rsqrt();
        return torch.mul(r, c);
    }

    private static Tensor Rms(Tensor t) => t.norm() / Math.Sqrt(t.NumberOfElements);

    public override Tensor step(Func<Tensor>? closure = null)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in tensors)
        {
            using var scope = torch.NewDisposeScope();
            var grad = p.grad!;
            bool factored = grad.dim() >= 2;
            if (!state.TryGetValue(p, out var s))
            {
                state[p] = s = new Dictionary<string, Tensor> { ["exp_avg"] = torch.zeros_like(grad).DetachFromDisposeScope() };
                long[] shape = grad.shape;
                if (factored)
                {
                    long[] rowShape = shape[..^1], colShape = [.. shape[..^2], shape[^1]];
                    s["exp_avg_sq_row"] = torch.zeros(rowShape, device: grad.device).DetachFromDisposeScope();
                    s["exp_avg_sq_col"] = torch.zeros(colShape, device: grad.device).DetachFromDisposeScope();
                    s["exp_avg_res_row"] = torch.zeros(rowShape, device: grad.device).DetachFromDisposeScope();
                    s["exp_avg_res_col"] = torch.zeros(colShape, device: grad.device).DetachFromDisposeScope();
                }
                else s["exp_avg_sq"] = torch.zeros_like(grad).DetachFromDisposeScope();
            }
            var update = grad.pow(2) + Eps1;
            if (factored)
            {
                s["exp_avg_sq_row"].mul_(Beta2).add_(update.mean([-1L]), alpha: 1 - Beta2);
                s["exp_avg_sq_col"].mul_(Beta2).add_(update.mean([-2L]), alpha: 1 - Beta2);
                update = ApproxSqGrad(s["exp_avg_sq_row"], s["exp_avg_sq_col"]);
                update.mul_(grad);
            }
            else
            {
                s["exp_avg_sq"].mul_(Beta2).add_(update, alpha: 1 - Beta2);
                update = s["exp_avg_sq"].rsqrt().mul_(grad);
            }
            update.div_((Rms(update) / Clip).clamp_(min: 1.0));
            var expAvg = s["exp_avg"];
            expAvg.mul_(Beta1).add_(update, alpha: 1 - Beta1);
            var res = (update - expAvg).pow(2) + Eps2;
            if (factored)
            {
                s["exp_avg_res_row"].mul_(Beta3).add_(res.mean([-1L]), alpha: 1 - Beta3);
                s["exp_avg_res_col"].mul_(Beta3).add_(res.mean([-2L]), alpha: 1 - Beta3);
                update = ApproxSqGrad(s["exp_avg_res_row"], s["exp_avg_res_col"]).mul_(expAvg);
            }
            else update = expAvg.clone();
            update.mul_(lr);
            p.add_(-update);
        }
        return null!;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var t in state.Values.SelectMany(s => s.Values)) t.Dispose();
    }
}
