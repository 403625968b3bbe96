using CameSharp.Gpu;
using ILGPU;
using ILGPU.Runtime;
using Device = TorchSharp.torch.Device;
using ILGPU.Runtime.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp;

/// <summary>
/// The fused GPU kernels (<see cref="GpuKernels"/>) for the tensors of one torch device, which they step in place
/// through the tensors' own memory. On a CUDA device the kernels run on an ILGPU accelerator of that device; torch's
/// pending work is waited for once before the step's first kernel (the gradients come from torch's stream) and the
/// accelerator once after its last, so torch's next operations see the new parameters.
/// </summary>
internal sealed class GpuBackend : IDisposable
{
    private readonly Device? cudaDevice;
    private bool started;

    private GpuBackend(Accelerator accelerator, int groupSize, Device? cudaDevice)
    {
        Kernels = new GpuKernels(accelerator, groupSize);
        this.cudaDevice = cudaDevice;
    }

    public GpuKernels Kernels { get; }

    public Accelerator Accelerator => Kernels.Accelerator;

    /// <summary>The scalars that the step's inspections returned, in step order.</summary>
    public List<GpuScalar> Verdicts { get; } = [];

    /// <summary>
    /// The backend for CUDA device <paramref name="device"/>, or null (with the reason) when ILGPU cannot drive it: no
    /// CUDA driver that ILGPU can load, or no such device. Kernels compile here, once per device and process.
    /// </summary>
    public static GpuBackend? ForCuda(Device device, out string? reason)
    {
        var accelerator = CudaAccelerators.For(device.index < 0 ? 0 : device.index, out reason);
        return accelerator is null ? null : new GpuBackend(accelerator, 256, device);
    }

    /// <summary>A backend whose kernels run on <paramref name="accelerator"/> over CPU tensors (ILGPU's CPU accelerator): the same glue, testable with no GPU.</summary>
    public static GpuBackend ForCpuTensors(Accelerator accelerator, int groupSize) => new(accelerator, groupSize, null);

    /// <summary>The index into <see cref="Verdicts"/> of the first refused gradient, as <see cref="ReadRefused"/> found it; −1 for none.</summary>
    public int Refused { get; private set; } = -1;

    /// <summary>Reads this step's verdicts (one wait for the device, when there are any) and keeps the first refusal in <see cref="Refused"/>.</summary>
    public int ReadRefused() => Refused = Verdicts.Count == 0 ? -1 : Kernels.FirstRefused(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Verdicts));

    /// <summary>Opens a step: forgets the last step's verdicts and scalars.</summary>
    public void BeginStep()
    {
        Verdicts.Clear();
        Refused = -1;
        Kernels.BeginStep();
        started = false;
    }

    /// <summary>Before this step's first kernel: waits for torch's queued work on the device (the gradients).</summary>
    public void BeforeFirstKernel()
    {
        if (started) return;
        started = true;
        if (cudaDevice is not null) torch.cuda.synchronize(cudaDevice);
    }

    /// <summary>After this step's last kernel: waits for the accelerator, so the parameters are final for torch.</summary>
    public void EndStep()
    {
        if (started) Accelerator.Synchronize();
    }

    public void Dispose() => Kernels.Dispose();

    /// <summary>
    /// One ILGPU CUDA context for the process and an accelerator per device, made on first use. They live as long as the
    /// process: every optimizer on a device shares them, and ILGPU caches compiled kernels per accelerator.
    /// </summary>
    private static class CudaAccelerators
    {
        private static readonly object Gate = new();
        private static Context? context;
        private static string? failure;
        private static readonly Dictionary<int, Accelerator> Accelerators = [];

        public static Accelerator? For(int index, out string? reason)
        {
            lock (Gate)
            {
                if (Accelerators.TryGetValue(index, out var known))
                {
                    reason = null;
                    return known;
                }
                try
                {
                    if (failure is null && context is null) context = Context.Create(b => b.Cuda());
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failure = $"ILGPU could not open CUDA: {e.Message}";
                }
                if (failure is not null || context is null)
                {
                    reason = failure;
                    return null;
                }
                var devices = context.GetCudaDevices();
                if (index >= devices.Count)
                {
                    reason = $"ILGPU sees {devices.Count} CUDA device(s); torch's cuda:{index} is not among them.";
                    return null;
                }
                var accelerator = devices[index].CreateCudaAccelerator(context);
                Accelerators[index] = accelerator;
                reason = null;
                return accelerator;
            }
        }
    }
}
