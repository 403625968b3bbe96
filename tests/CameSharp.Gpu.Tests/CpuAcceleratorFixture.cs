using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// One ILGPU CPU accelerator emulating an NVIDIA GPU (warp 32, up to 1024 threads a group), shared by the tests of the
/// <see cref="CpuAcceleratorCollection"/> so that its kernels are compiled once; those tests run one at a time.
/// </summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    private readonly Context context = Context.Create(b => b.CPU(CPUDeviceKind.Nvidia));

    public CpuAcceleratorFixture() => Accelerator = context.CreateCPUAccelerator(0);

    public Accelerator Accelerator { get; }

    /// <summary>
    /// Threads a group in these tests: one warp. The CPU accelerator runs every thread of a group on an OS thread and
    /// meets at each barrier, so larger groups only slow the tests; the kernels' logic is the same at any power of two.
    /// </summary>
    public const int GroupSize = 32;

    public void Dispose()
    {
        Accelerator.Dispose();
        context.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "CPU accelerator";
}
