using ILGPU;
using ILGPU.Runtime.Cuda;

namespace CameSharp.Gpu.Tests;

/// <summary>A test that needs a CUDA device: reported as skipped, never as passed, where there is none.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!HasCudaDevice.Value) Skip = "no CUDA device on this machine";
    }

    private static readonly Lazy<bool> HasCudaDevice = new(() =>
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            return context.GetCudaDevices().Count > 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    });
}
