using System.Reflection;
using CameSharp.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// Every kernel compiles to PTX for an H100 (sm_90; ILGPU 1.5.3 writes the module for the highest target its ISA 8.0
/// table knows, sm_80, which the driver compiles forward for sm_90). ILGPU's PTX backend needs no GPU and no driver, so what it cannot
/// compile fails here rather than on a user's GPU; the CPU accelerator alone would not notice.
/// </summary>
public sealed class PtxCompilationTests
{
    public static TheoryData<string> Kernels() => new(KernelMethods().Select(m => $"{m.DeclaringType!.Name}.{m.Name}"));

    private static IEnumerable<MethodInfo> KernelMethods() =>
        new[] { typeof(FactoredPasses), typeof(FlatPasses) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void));

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx_for_sm_90(string kernel)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == kernel);
        using var context = Context.Create(b => b.Cuda().CPU());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null!);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        Assert.Contains(".entry", compiled.PTXAssembly);
    }
}
