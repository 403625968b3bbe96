using CameSharp.Cli.Bench;
using TorchSharp;

namespace CameSharp.Cli.Tests.Bench;

public sealed class BandwidthTests
{
    /// <summary>The copy measurement is plain torch, so the CPU runs the same code `came bench --device cuda` runs.</summary>
    [Fact]
    public void The_copy_bandwidth_of_the_cpu_is_a_positive_rate()
    {
        double gbps = Bandwidth.MeasureDeviceGBps(torch.CPU, elements: 1 << 20, repeats: 2);
        Assert.True(gbps > 0 && double.IsFinite(gbps), $"{gbps} GB/s");
    }

    [CudaFact]
    public void The_copy_bandwidth_of_a_gpu_is_a_positive_rate()
    {
        double gbps = Bandwidth.MeasureDeviceGBps(torch.CUDA);
        Assert.True(gbps > 0 && double.IsFinite(gbps), $"{gbps} GB/s");
    }
}
