using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp;

/// <summary>
/// Where a tensor's first element lives on its device, for any dtype: the native data pointer of its storage plus its
/// offset in the storage. TorchSharp's <c>storage&lt;T&gt;()</c> offers the pointer only for some element types (none of
/// 16 bits) and builds a converted tensor to get it, so this asks TorchSharp's native library directly, through the
/// export that <c>storage&lt;T&gt;().data_ptr()</c> itself calls. The pointer is the tensor's, and so stays valid while the
/// tensor's storage does.
/// </summary>
internal static unsafe class StorageAddress
{
    private static readonly delegate* unmanaged[Cdecl]<nint, nint> DataPointer = Resolve();

    /// <summary>True when TorchSharp's native library exposes the storage's data pointer; false leaves the GPU kernels unused.</summary>
    public static bool Available => DataPointer != null;

    /// <summary>The address of <paramref name="tensor"/>'s first element (a device pointer for a CUDA tensor).</summary>
    /// <exception cref="InvalidOperationException">TorchSharp's native library has no such export (see <see cref="Available"/>).</exception>
    public static nint Of(Tensor tensor)
    {
        if (DataPointer == null) throw new InvalidOperationException("TorchSharp's native library does not export THSStorage_data_ptr.");
        nint data = DataPointer(tensor.Handle);
        if (data == 0) throw new InvalidOperationException("the tensor has no storage.");
        return data + (nint)(tensor.storage_offset() * tensor.ElementSize);
    }

    private static delegate* unmanaged[Cdecl]<nint, nint> Resolve()
    {
        // Asked for only once a tensor exists, so TorchSharp has loaded its native library; loading it again returns that library.
        if (!NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out var library)) return null;
        return NativeLibrary.TryGetExport(library, "THSStorage_data_ptr", out var export) ? (delegate* unmanaged[Cdecl]<nint, nint>)export : null;
    }
}
