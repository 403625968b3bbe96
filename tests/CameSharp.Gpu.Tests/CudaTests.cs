using ILGPU;
using ILGPU.Runtime.Cuda;

namespace CameSharp.Gpu.Tests;

/// <summary>The GPU backend on a real CUDA device, at its default group size, against the CPU engine.</summary>
public sealed class CudaTests
{
    [CudaFact]
    public void Came_on_a_cuda_device_steps_as_the_cpu_engine()
    {
        using var context = Context.Create(b => b.Cuda());
        using var accelerator = context.CreateCudaAccelerator(0);
        var options = new CameOptions { LearningRate = 1e-2, BiasCorrection = true };
        var random = new Random(3);
        int[][] shapes = [[2048, 768], [768], [4, 64, 96]];
        using var gpu = new RuleRunner.GpuRunner(accelerator, 256);
        using var cpu = RuleRunner.OnCpu();
        var inits = shapes.Select(s => Enumerable.Range(0, s.Aggregate(1, (a, b) => a * b)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())
            .ToArray();
        for (int i = 0; i < shapes.Length; i++)
        {
            gpu.Add(inits[i], shapes[i]);
            cpu.Add(inits[i], shapes[i]);
        }
        for (int t = 1; t <= 3; t++)
        {
            var grads = inits.Select(p => p.Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
            Assert.Equal(-1, gpu.Step(options, t, grads));
            Assert.Equal(-1, cpu.Step(options, t, grads));
        }
        for (int i = 0; i < shapes.Length; i++)
        {
            float[] actual = gpu.Parameter(i), expected = cpu.Parameter(i);
            double moved = expected.Zip(inits[i], (e, p) => Math.Abs((double)e - p)).Max();
            double error = actual.Zip(expected, (a, e) => Math.Abs((double)a - e)).Max();
            Assert.True(error <= 4e-6 * moved + 12 * Math.Pow(2, -23), $"shape {i}: {error:E3} against movement {moved:E3}");
        }
    }

    /// <summary>
    /// bfloat16 and float16 θ and g on the device: bitwise the float32 kernels' step from the upcast values, rounded. Both
    /// runs are PTX of the same float arithmetic, so this also checks that the 16-bit instantiations compile to it.
    /// </summary>
    [CudaFact]
    public void A_16_bit_step_on_a_cuda_device_is_the_float32_step_rounded()
    {
        using var context = Context.Create(b => b.Cuda());
        using var accelerator = context.CreateCudaAccelerator(0);
        int[][] shapes = [[2048, 768], [768], [4, 64, 96]];
        foreach (var type in new[] { GpuElementType.BFloat16, GpuElementType.Float16 })
        {
            GpuElementTypeTests.AssertSameAsRoundedFloat32Steps(accelerator, 256, "came", new CameOptions { LearningRate = 1e-2, BiasCorrection = true },
                shapes, type);
            GpuElementTypeTests.AssertSameAsRoundedFloat32Steps(accelerator, 256, "adamw", new AdamWOptions { LearningRate = 1e-2, WeightDecay = 1e-2 },
                shapes, type);
        }
    }
}
