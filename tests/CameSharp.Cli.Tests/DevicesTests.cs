namespace CameSharp.Cli.Tests;

public sealed class DevicesTests
{
    [Fact]
    public void Cpu_resolves_to_torch_s_cpu_device()
    {
        Assert.Equal(global::TorchSharp.DeviceType.CPU, Devices.Resolve("cpu").type);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("CUDA")]
    [InlineData("cuda:0")]
    [InlineData("")]
    public void Another_name_is_a_usage_error_that_lists_the_accepted_ones(string name)
    {
        var e = Assert.Throws<UsageException>(() => Devices.Resolve(name));
        Assert.Equal($"--device must be cpu or cuda; got '{name}'.", e.Message);
    }

    [NoCudaFact]
    public void Cuda_without_a_cuda_device_says_what_to_install()
    {
        var e = Assert.Throws<UsageException>(() => Devices.Resolve("cuda"));
        Assert.StartsWith("--device cuda: no CUDA device is available to TorchSharp; install a CUDA backend package", e.Message);
    }

    [CudaFact]
    public void Cuda_with_a_cuda_device_resolves_to_it()
    {
        Assert.Equal(global::TorchSharp.DeviceType.CUDA, Devices.Resolve("cuda").type);
    }
}
