using TorchSharp;

namespace CameSharp.Cli.Tests;

/// <summary>Whether TorchSharp here has a CUDA device, asked once: tests that need one report as skipped without it.</summary>
internal static class Cuda
{
    private static readonly Lazy<bool> available = new(torch.cuda.is_available);

    public static bool Available => available.Value;

    public const string Missing = "no CUDA device is available to TorchSharp here (a CUDA backend package and a GPU are needed).";
}

/// <summary>A fact that reports as skipped where TorchSharp has no CUDA device.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!Cuda.Available) Skip = Cuda.Missing;
    }
}

/// <summary>A theory that reports as skipped where TorchSharp has no CUDA device.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (!Cuda.Available) Skip = Cuda.Missing;
    }
}

/// <summary>A fact about what a user without a CUDA device sees; skipped where TorchSharp has one.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (Cuda.Available) Skip = "a CUDA device is available to TorchSharp here, so --device cuda is not refused.";
    }
}
