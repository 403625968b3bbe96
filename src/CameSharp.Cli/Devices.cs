using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli;

/// <summary>The devices <c>--device</c> takes, and what a run needs to time work on one.</summary>
internal static class Devices
{
    public static readonly string[] Names = ["cpu", "cuda"];

    /// <summary>
    /// The torch device named <paramref name="name"/>. A usage error if it is not one of <see cref="Names"/>, or is cuda
    /// where TorchSharp sees no CUDA device: said before any work starts, not as a native error halfway through a run.
    /// </summary>
    public static Device Resolve(string name)
    {
        if (!Names.Contains(name)) throw new UsageException($"--device must be {string.Join(" or ", Names)}; got '{name}'.");
        // Asked only for cuda: the question loads libtorch's CUDA backend, which a CPU run never needs.
        if (name == "cuda" && !torch.cuda.is_available())
            throw new UsageException("--device cuda: no CUDA device is available to TorchSharp; install a CUDA backend package of " +
                "TorchSharp (TorchSharp-cuda-linux / -windows) and a driver.");
        return torch.device(name);
    }

    /// <summary>Waits for the device's queued work: CUDA kernels run asynchronously, so a clock read without it times the launches.</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }
}
