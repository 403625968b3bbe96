using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>
/// The settings and counters every CameSharp TorchSharp optimizer (<see cref="Came"/>, <see cref="Adafactor"/>,
/// <see cref="AdamW"/>, <see cref="Lamb"/>) has beyond torch.optim's, for code that configures or reports on any of them.
/// </summary>
public interface ICameSharpOptimizer
{
    /// <summary>Use the fused CPU and GPU kernels where they apply. Default true; false forces torch ops everywhere.</summary>
    bool UseFastPath { get; set; }

    /// <summary>Threads the CPU kernels may use. Default: the processor count.</summary>
    int DegreeOfParallelism { get; set; }

    /// <summary>Round results into bfloat16 parameters stochastically (default true) rather than to nearest.</summary>
    bool StochasticRounding { get; set; }

    /// <summary>The seed of <see cref="StochasticRounding"/>. Default 0.</summary>
    ulong Seed { get; set; }

    /// <summary>
    /// How full-size state is stored: float32 (default) or 8-bit blockwise (<see cref="Engine.Blockwise8Bit"/>, about
    /// 1 byte an element): the CPU kernels and torch ops step it; the GPU kernels do not yet. Set it before the first step.
    /// </summary>
    Engine.StateFormat StateFormat { get; set; }

    /// <summary>What a step does with a non-finite gradient.</summary>
    Engine.NonFinitePolicy NonFinitePolicy { get; set; }

    /// <summary>Steps skipped under <see cref="Engine.NonFinitePolicy.SkipStep"/>.</summary>
    long SkippedSteps { get; }

    /// <summary>Bytes of optimizer state held, over all parameters.</summary>
    long StateBytes { get; }

    /// <summary>Parameters stepped through the engine's CPU kernels in the last step.</summary>
    int FastPathParameters { get; }

    /// <summary>Parameters stepped through the fused GPU kernels in the last step.</summary>
    int GpuKernelParameters { get; }

    /// <summary>Why CUDA parameters are stepped by torch ops rather than the GPU kernels; null when nothing stopped them.</summary>
    string? GpuUnavailableReason { get; }
}
