using CameSharp.Gpu;
using CameSharp.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// Steps parameters through the engine's unchanged update rules on a backend, as an optimizer does: Inspect every
/// tensor, one <c>FirstRefused</c>, then Update every tensor. State starts at zero, as in the reference.
/// </summary>
internal abstract class RuleRunner : IDisposable
{
    private readonly List<float[]> parameters = [];
    private readonly List<int[]> shapes = [];

    /// <summary>A runner over <paramref name="accelerator"/>, which stays the caller's.</summary>
    public static GpuRunner On(Accelerator accelerator) => new(accelerator, CpuAcceleratorFixture.GroupSize);

    public static CpuRunner OnCpu() => new();

    public int Add(float[] initial, int[] shape)
    {
        parameters.Add((float[])initial.Clone());
        shapes.Add(shape);
        return parameters.Count - 1;
    }

    /// <summary>Takes one step t (1-based) with these gradients; returns the index of the first refused gradient, or −1.</summary>
    public int Step(OptimizerOptions options, long step, IReadOnlyList<float[]> gradients) => options switch
    {
        CameOptions o => Step(new CameRule(), o, step, gradients),
        AdafactorOptions o => Step(new AdafactorRule(), o, step, gradients),
        AdamWOptions o => Step(new AdamWRule(), o, step, gradients),
        LambOptions o => Step(new LambRule(), o, step, gradients),
        _ => throw new NotSupportedException(options.GetType().Name),
    };

    public abstract float[] Parameter(int index);

    protected abstract int Step<TOptions>(UpdateRule<TOptions> rule, TOptions options, long step, IReadOnlyList<float[]> gradients)
        where TOptions : OptimizerOptions;

    public abstract void Dispose();

    protected IReadOnlyList<float[]> Initial => parameters;

    protected IReadOnlyList<int[]> Shapes => shapes;

    /// <summary>The rules on <see cref="GpuKernels"/>, tensors in the accelerator's memory.</summary>
    internal sealed class GpuRunner : RuleRunner
    {
        private readonly Accelerator accelerator;
        private readonly GpuKernels kernels;
        private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> buffers = [];
        private readonly List<TensorStep<GpuTensor, GpuScalar>> steps = [];
        private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> gradientBuffers = [];

        public GpuRunner(Accelerator accelerator, int groupSize)
        {
            this.accelerator = accelerator;
            kernels = new GpuKernels(accelerator, groupSize);
        }

        public GpuKernels Kernels => kernels;

        public override float[] Parameter(int index) => steps.Count > index ? buffers[Index(index)].GetAsArray1D() : Initial[index];

        private int Index(int parameter) => steps.Take(parameter).Sum(s => s.Tensors.Count + 1);

        private GpuTensor Allocate(int length, float[]? values)
        {
            var buffer = accelerator.Allocate1D<float>(Math.Max(1, length));
            buffer.MemSetToZero();
            if (values is not null) buffer.View.SubView(0, length).CopyFromCPU(values);
            buffers.Add(buffer);
            return new GpuTensor(buffer.View.SubView(0, length));
        }

        protected override int Step<TOptions>(UpdateRule<TOptions> rule, TOptions options, long step, IReadOnlyList<float[]> gradients)
        {
            for (int i = steps.Count; i < Initial.Count; i++)
            {
                var layout = rule.StateLayout(Shapes[i], options);
                var parameter = Allocate(Initial[i].Length, Initial[i]);
                var state = layout.Select(s => Allocate(s.Length, null)).ToArray();
                steps.Add(new TensorStep<GpuTensor, GpuScalar>($"p{i}", Shapes[i], parameter, layout, state));
                gradientBuffers.Add(accelerator.Allocate1D<float>(Math.Max(1, Initial[i].Length)));
                kernels.Reserve(Shapes[i]);
            }
            for (int i = 0; i < steps.Count; i++)
            {
                gradientBuffers[i].View.SubView(0, gradients[i].Length).CopyFromCPU(gradients[i]);
                steps[i].Gradient = new GpuTensor(gradientBuffers[i].View.SubView(0, gradients[i].Length));
            }
            kernels.BeginStep();
            var verdicts = steps.Select(t => rule.Inspect(kernels, t, options, step)).ToArray();
            int refused = kernels.FirstRefused(verdicts);
            if (refused >= 0) return refused;
            foreach (var t in steps) rule.Update(kernels, t, options, step);
            accelerator.Synchronize();
            return -1;
        }

        public override void Dispose()
        {
            kernels.Dispose();
            foreach (var b in buffers.Concat(gradientBuffers)) b.Dispose();
        }
    }

    /// <summary>The same rules on the CPU engine's kernels: what the GPU backend is compared with.</summary>
    internal sealed class CpuRunner : RuleRunner
    {
        private readonly CpuKernels kernels = new();
        private readonly List<TensorStep<Memory<float>, double>> steps = [];

        public override float[] Parameter(int index) => steps.Count > index ? steps[index].Parameter.ToArray() : Initial[index];

        protected override int Step<TOptions>(UpdateRule<TOptions> rule, TOptions options, long step, IReadOnlyList<float[]> gradients)
        {
            for (int i = steps.Count; i < Initial.Count; i++)
            {
                var layout = rule.StateLayout(Shapes[i], options);
                var state = layout.Select(s => new Memory<float>(new float[s.Length])).ToArray();
                steps.Add(new TensorStep<Memory<float>, double>($"p{i}", Shapes[i], (float[])Initial[i].Clone(), layout, state));
                kernels.Reserve(Shapes[i]);
            }
            for (int i = 0; i < steps.Count; i++) steps[i].Gradient = gradients[i];
            kernels.BeginStep();
            var verdicts = steps.Select(t => rule.Inspect(kernels, t, options, step)).ToArray();
            int refused = kernels.FirstRefused(verdicts);
            if (refused >= 0) return refused;
            foreach (var t in steps) rule.Update(kernels, t, options, step);
            return -1;
        }

        public override void Dispose() => kernels.Dispose();
    }
}
