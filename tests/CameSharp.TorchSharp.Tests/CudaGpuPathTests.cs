using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp.Tests;

/// <summary>A test that needs TorchSharp's CUDA backend and a GPU: reported as skipped, never as passed, without them.</summary>
public sealed class TorchCudaFactAttribute : FactAttribute
{
    public TorchCudaFactAttribute()
    {
        if (!torch.cuda.is_available()) Skip = "TorchSharp has no CUDA device here (the tests reference TorchSharp-cpu)";
    }
}

/// <summary>
/// The adapter's GPU path on real CUDA tensors: a small model trained through autograd (backward in torch's context,
/// the step in ILGPU's) follows the torch-op path, for float32 and bfloat16 weights.
/// </summary>
public sealed class CudaGpuPathTests
{
    private static float[] Train(ScalarType dtype, bool fast)
    {
        torch.manual_seed(7);
        using var model = nn.Sequential(("fc1", nn.Linear(64, 256)), ("relu", nn.ReLU()), ("fc2", nn.Linear(256, 8)));
        model.to(torch.CUDA).to(dtype);
        using var came = Optim.Came(model.parameters(), lr: 1e-3, bias_correction: true);
        came.UseFastPath = fast;
        var data = torch.randn(32, 64, device: torch.CUDA).to(dtype);
        var target = torch.randint(0, 8, [32], device: torch.CUDA);
        for (int i = 0; i < 20; i++)
        {
            came.zero_grad();
            using var loss = nn.functional.cross_entropy(model.call(data).to(ScalarType.Float32), target);
            loss.backward();
            came.step();
        }
        Assert.True(fast ? came.GpuKernelParameters == 4 : came.GpuKernelParameters == 0, came.GpuUnavailableReason ?? "");
        return model.parameters().SelectMany(p => p.detach().to(ScalarType.Float32).cpu().data<float>().ToArray()).ToArray();
    }

    /// <summary>
    /// 8-bit state on CUDA goes through torch ops (the GPU kernels do not decode it), and a state moved to CUDA and back
    /// steps on the CPU kernels as one that never moved: the codes' storage is padded again after the move (odd lengths,
    /// so that the padding matters).
    /// </summary>
    [TorchCudaFact]
    public void Eight_bit_state_steps_on_cuda_and_moves_back_to_the_cpu_kernels()
    {
        float[] Run(bool visit)
        {
            torch.manual_seed(3);
            var p = new global::TorchSharp.Modules.Parameter(torch.randn(67, 65));
            using var came = Optim.Came([p], lr: 1e-3);
            came.StateFormat = CameSharp.StateFormat.Blockwise8Bit;
            for (int i = 0; i < 6; i++)
            {
                if (visit && i == 2)
                {
                    using (torch.no_grad()) p.set_(p.cuda());
                    came.to(torch.CUDA);
                }
                if (visit && i == 4)
                {
                    using (torch.no_grad()) p.set_(p.cpu());
                    came.to(torch.CPU);
                }
                p.grad = (torch.sin(torch.arange(67 * 65).reshape(67, 65) * (0.1 + i)) * 1e-2).to(p.device);
                came.step();
                if (visit && i is 2 or 3) Assert.Equal(0, came.GpuKernelParameters);
            }
            Assert.Equal(1, came.FastPathParameters);
            return p.detach().cpu().data<float>().ToArray();
        }
        float[] stayed = Run(false), moved = Run(true);
        double apart = stayed.Zip(moved).Max(x => Math.Abs(x.First - x.Second)), size = stayed.Max(Math.Abs);
        Assert.True(apart <= 1e-4 * size, $"{apart} apart");
    }

    [TorchCudaFact]
    public void Building_and_stepping_on_the_gpu_kernels_leaves_torch_s_context_current()
    {
        using var warm = torch.zeros(1, device: torch.CUDA);
        torch.cuda.synchronize();
        nint torchContext = GpuBackend.CurrentCudaContext();
        Assert.NotEqual(0, torchContext);
        var p = new global::TorchSharp.Modules.Parameter(torch.randn(64, 32, device: torch.CUDA));
        using var came = Optim.Came([p], lr: 1e-3);
        Assert.Equal(torchContext, GpuBackend.CurrentCudaContext());
        p.grad = torch.randn(64, 32, device: torch.CUDA);
        came.step();
        Assert.Equal(1, came.GpuKernelParameters);
        Assert.Equal(torchContext, GpuBackend.CurrentCudaContext());
    }

    [TorchCudaFact]
    public void Float32_training_on_the_gpu_kernels_follows_the_torch_op_path()
    {
        var (fast, ops) = (Train(ScalarType.Float32, true), Train(ScalarType.Float32, false));
        double error = fast.Zip(ops, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(error < 1e-4, $"largest difference {error:E3}");
    }

    [TorchCudaFact]
    public void Bfloat16_training_on_the_gpu_kernels_follows_the_torch_op_path()
    {
        var (fast, ops) = (Train(ScalarType.BFloat16, true), Train(ScalarType.BFloat16, false));
        double error = fast.Zip(ops, (a, b) => Math.Abs((double)a - b) / Math.Max(1e-3, Math.Abs((double)b))).Max();
        Assert.True(error < 0.05, $"largest relative difference {error:E3}");
    }
}
