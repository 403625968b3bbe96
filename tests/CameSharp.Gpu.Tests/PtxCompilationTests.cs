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
/// table knows, sm_80, which the driver compiles forward for sm_90), and every kernel that reads θ or g does so for each
/// element type it is instantiated with. ILGPU's PTX backend needs no GPU and no driver, so what it cannot compile fails
/// here rather than on a user's GPU; the CPU accelerator alone would not notice.
/// </summary>
public sealed class PtxCompilationTests
{
    /// <summary>The element types of θ and g as the kernels are instantiated: (name, stored element, codec).</summary>
    private static readonly (string Name, Type Element, Type Codec)[] ElementTypes =
    [
        ("float32", typeof(float), typeof(Float32Codec)),
        ("bfloat16", typeof(ushort), typeof(BFloat16Codec)),
        ("float16", typeof(ushort), typeof(Float16Codec)),
        ("bfloat16-stochastic", typeof(ushort), typeof(StochasticBFloat16Codec)),
    ];

    /// <summary>The terms <c>GroupSums</c> adds up, as <c>ElementPasses</c> instantiates it.</summary>
    private static readonly Type[] Terms = [typeof(UnusableTerm), typeof(SquareTerm)];

    /// <summary>The moments that kernels read in either format (float32 values, 8-bit codes).</summary>
    private static readonly Type[] Moments = [typeof(Float32Moment), typeof(CodedMoment)];

    /// <summary>The updates that the 8-bit momentum pass folds in, each generic over θ's and g's element type.</summary>
    private static readonly Type[] Updates =
        [typeof(CameVectorUpdate<,>), typeof(AdafactorVectorUpdate<,>), typeof(CameFactoredUpdate<,>), typeof(AdafactorFactoredUpdate<,>)];

    public static TheoryData<string> Kernels() => new(KernelMethods().Keys);

    /// <summary>
    /// Each kernel by name; a generic kernel once per element type, and once per term, moment format or update it is
    /// instantiated with, as <c>ElementPasses</c> instantiates it.
    /// </summary>
    private static Dictionary<string, MethodInfo> KernelMethods() =>
        new[] { typeof(FactoredPasses), typeof(FlatPasses), typeof(QuantizedPasses) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void))
            .SelectMany(m => !m.IsGenericMethodDefinition
                ? [($"{m.DeclaringType!.Name}.{m.Name}", m)]
                : m.GetGenericArguments().Length == 2
                    ? ElementTypes.Select(e => ($"{m.DeclaringType!.Name}.{m.Name}<{e.Name}>", m.MakeGenericMethod(e.Element, e.Codec)))
                    : ElementTypes.SelectMany(e => ThirdArguments(m.GetGenericArguments()[2], e.Element, e.Codec).Select(third =>
                        ($"{m.DeclaringType!.Name}.{m.Name}<{e.Name}, {third.Name}>", m.MakeGenericMethod(e.Element, e.Codec, third)))))
            .ToDictionary(k => k.Item1, k => k.Item2);

    /// <summary>What a kernel's third type argument is instantiated with, by the interface it is constrained to.</summary>
    private static IEnumerable<Type> ThirdArguments(Type parameter, Type element, Type codec)
    {
        var constraint = parameter.GetGenericParameterConstraints().Single(c => c.IsInterface);
        if (constraint == typeof(IElementTerm)) return Terms;
        if (constraint == typeof(IMomentView)) return Moments;
        if (constraint == typeof(IMomentumUpdate)) return Updates.Select(u => u.MakeGenericType(element, codec));
        throw new InvalidOperationException($"no instantiation known for a kernel argument constrained to {constraint.Name}.");
    }

    [Fact]
    public void The_element_types_compiled_here_are_those_the_backend_launches()
    {
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        var launched = Enum.GetValues<GpuElementType>()
            .Select(type => ElementPasses.For(accelerator, type)).Append(ElementPasses.StochasticBFloat16(accelerator))
            .Select(passes => passes.GetType().GetGenericArguments())
            .Select(a => (a[0], a[1]));
        Assert.Equal(launched, ElementTypes.Select(e => (e.Element, e.Codec)));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx_for_sm_90(string kernel)
    {
        var method = KernelMethods()[kernel];
        using var context = Context.Create(b => b.Cuda().CPU());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, null!);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty);
        Assert.Contains(".entry", compiled.PTXAssembly);
    }
}
