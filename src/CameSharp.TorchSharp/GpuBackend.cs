using System.Runtime.InteropServices;
using CameSharp.Gpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using TorchSharp;
using static TorchSharp.torch;
using Device = TorchSharp.torch.Device;

namespace CameSharp.TorchSharp;

/// <summary>
/// The fused GPU kernels (<see cref="GpuKernels"/>) for the tensors of one torch device, which they step in place
/// through the tensors' own memory. On a CUDA device the kernels run on an ILGPU accelerator of that device, which has a
/// CUDA context of its own beside torch's (the device's primary context). Every call that reaches ILGPU goes through
/// <see cref="Enter"/>, which makes ILGPU's context current for the call and gives the thread back the context it had,
/// so torch's own work never runs in ILGPU's context. Torch's queued work is waited for once before the step's first
/// kernel (the gradients come from torch's stream), and the accelerator once after its last, so torch's next operations
/// see the new parameters.
/// </summary>
internal sealed class GpuBackend : IDisposable
{
    private readonly Device? cudaDevice;
    private bool started;

    private GpuBackend(Accelerator accelerator, int groupSize, Device? cudaDevice)
    {
        this.cudaDevice = cudaDevice;
        Accelerator = accelerator;
        using (Enter()) Kernels = new GpuKernels(accelerator, groupSize);
    }

    public GpuKernels Kernels { get; }

    public Accelerator Accelerator { get; }

    /// <summary>The scalars that the step's inspections returned, in step order.</summary>
    public List<GpuScalar> Verdicts { get; } = [];

    /// <summary>The index into <see cref="Verdicts"/> of the first refused gradient, as <see cref="ReadRefused"/> found it; −1 for none.</summary>
    public int Refused { get; private set; } = -1;

    /// <summary>
    /// The backend for CUDA device <paramref name="device"/>, or null (with the reason) when ILGPU cannot drive it: no
    /// CUDA driver that ILGPU can load, no such device, or a failure creating the accelerator or its kernels' buffers.
    /// </summary>
    public static GpuBackend? ForCuda(Device device, out string? reason)
    {
        var accelerator = CudaAccelerators.For(device.index < 0 ? 0 : device.index, out reason);
        if (accelerator is null) return null;
        try
        {
            return new GpuBackend(accelerator, 256, device);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reason = $"the GPU kernels could not be set up on cuda:{device.index}: {e.Message}";
            return null;
        }
    }

    /// <summary>A backend whose kernels run on <paramref name="accelerator"/> over CPU tensors (ILGPU's CPU accelerator): the same glue, testable with no GPU.</summary>
    public static GpuBackend ForCpuTensors(Accelerator accelerator, int groupSize) => new(accelerator, groupSize, null);

    /// <summary>
    /// Makes the accelerator's CUDA context current until the scope ends, then restores the thread's own (torch's).
    /// On other accelerators it does nothing. ILGPU's own binding is not relied on: it remembers per thread which
    /// accelerator it last made current and would not notice torch making another context current since.
    /// </summary>
    public ContextScope Enter() => new(cudaDevice is null ? 0 : Accelerator.NativePtr);

    /// <summary>The CUDA context current on this thread (for tests: torch's must still be current after a step).</summary>
    internal static nint CurrentCudaContext() => CudaDriver.CurrentContext();

    /// <summary>Reserves scratch for <paramref name="shape"/> (allocates only for a shape larger than any before).</summary>
    public void Reserve(ReadOnlySpan<int> shape)
    {
        using (Enter()) Kernels.Reserve(shape);
    }

    /// <summary>Compiles the passes for parameters of <paramref name="type"/> now, rather than within the first step that meets them.</summary>
    public void Prepare(GpuElementType type, bool stochasticRounding)
    {
        using (Enter()) Kernels.Prepare(type, stochasticRounding);
    }

    /// <summary>Reads this step's verdicts (one wait for the device, when there are any) and keeps the first refusal in <see cref="Refused"/>.</summary>
    public int ReadRefused()
    {
        if (Verdicts.Count == 0) return Refused = -1;
        using (Enter()) return Refused = Kernels.FirstRefused(CollectionsMarshal.AsSpan(Verdicts));
    }

    /// <summary>Opens a step: forgets the last step's verdicts and scalars.</summary>
    public void BeginStep()
    {
        Verdicts.Clear();
        Refused = -1;
        Kernels.BeginStep();
        started = false;
    }

    /// <summary>
    /// Before this step's first kernel: waits for torch's queued work on the device (the gradients). Called while
    /// torch's context is current, since a synchronisation covers the current context only.
    /// </summary>
    public void BeforeFirstKernel()
    {
        if (started) return;
        started = true;
        if (cudaDevice is not null) torch.cuda.synchronize(cudaDevice);
    }

    /// <summary>After this step's last kernel: waits for the accelerator, so the parameters are final for torch.</summary>
    public void EndStep()
    {
        if (!started) return;
        started = false;
        using (Enter()) Accelerator.Synchronize();
    }

    public void Dispose()
    {
        using (Enter()) Kernels.Dispose();
    }

    /// <summary>A CUDA context made current for a scope, and the one it replaced put back at its end.</summary>
    public readonly ref struct ContextScope
    {
        private readonly nint previous;
        private readonly bool active;

        public ContextScope(nint context)
        {
            if (context == 0) return;
            previous = CudaDriver.CurrentContext();
            active = true;
            CudaDriver.Check(CudaAPI.CurrentAPI.SetCurrentContext(context), "cuCtxSetCurrent");
        }

        public void Dispose()
        {
            if (active) CudaDriver.Check(CudaAPI.CurrentAPI.SetCurrentContext(previous), "cuCtxSetCurrent");
        }
    }

    /// <summary>The one driver call ILGPU does not wrap: which context is current on this thread.</summary>
    private static unsafe class CudaDriver
    {
        private static readonly delegate* unmanaged[Cdecl]<nint*, int> GetCurrent = Resolve();

        public static nint CurrentContext()
        {
            if (GetCurrent == null) throw new InvalidOperationException("the CUDA driver library (libcuda / nvcuda) does not export cuCtxGetCurrent.");
            nint context;
            int error = GetCurrent(&context);
            if (error != 0) throw new InvalidOperationException($"cuCtxGetCurrent failed with CUDA error {error}.");
            return context;
        }

        public static void Check(CudaError error, string call)
        {
            if (error != CudaError.CUDA_SUCCESS) throw new InvalidOperationException($"{call} failed: {error}.");
        }

        private static delegate* unmanaged[Cdecl]<nint*, int> Resolve()
        {
            foreach (var name in new[] { "libcuda.so.1", "libcuda.so", "nvcuda.dll" })
                if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "cuCtxGetCurrent", out var export))
                    return (delegate* unmanaged[Cdecl]<nint*, int>)export;
            return null;
        }
    }

    /// <summary>
    /// One ILGPU CUDA context for the process and an accelerator per device, made on first use. They live as long as the
    /// process: every optimizer on a device shares them, and ILGPU caches compiled kernels per accelerator. Creating an
    /// accelerator makes its context current; the thread's own is put back.
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
                    if (failure is not null || context is null)
                    {
                        reason = failure;
                        return null;
                    }
                    // ILGPU leaves out devices it cannot compile for, so its list is searched by the driver's ordinal,
                    // which is torch's device index.
                    CudaDevice? device = null;
                    foreach (var candidate in context.GetCudaDevices())
                        if (candidate.DeviceId == index) device = candidate;
                    if (device is null)
                    {
                        reason = $"ILGPU cannot drive torch's cuda:{index} (no such device, or one its PTX backend does not support).";
                        return null;
                    }
                    nint previous = CudaDriver.CurrentContext();
                    Accelerator accelerator;
                    try
                    {
                        accelerator = device.CreateCudaAccelerator(context);
                    }
                    finally
                    {
                        CudaDriver.Check(CudaAPI.CurrentAPI.SetCurrentContext(previous), "cuCtxSetCurrent");
                    }
                    Accelerators[index] = accelerator;
                    reason = null;
                    return accelerator;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failure ??= context is null ? $"ILGPU could not open CUDA: {e.Message}" : null;
                    reason = failure ?? $"ILGPU could not create an accelerator for cuda:{index}: {e.Message}";
                    return null;
                }
            }
        }
    }
}
