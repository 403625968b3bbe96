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

    /// <summary>A runner over <paramref name="accelerator"/> whose parameters and gradients are of <paramref name="elementType"/>.</summary>
    public static GpuRunner On(Accelerator accelerator, GpuElementType elementType) =>
        new(accelerator, CpuAcceleratorFixture.GroupSize, elementType);

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

    /// <summary>The format of the full-size states (set before the first step).</summary>
    public StateFormat Format { get; init; }

    protected abstract int Step<TOptions>(UpdateRule<TOptions> rule, TOptions options, long step, IReadOnlyList<float[]> gradients)
        where TOptions : OptimizerOptions;

    public abstract void Dispose();

    protected IReadOnlyList<float[]> Initial => parameters;

    protected IReadOnlyList<int[]> Shapes => shapes;

    /// <summary>
    /// The rules on <see cref="GpuKernels"/>, tensors in the accelerator's memory: parameters and gradients of the element
    /// types given (float32 unless told), state of <paramref name="stateType"/> (float32 unless a test wants it refused).
    /// Values handed in for a 16-bit tensor are rounded to it with <see cref="Reference16"/>.
    /// </summary>
    internal sealed class GpuRunner(Accelerator accelerator, int groupSize, GpuElementType parameterType = GpuElementType.Float32,
        GpuElementType? gradientType = null, GpuElementType stateType = GpuElementType.Float32) : RuleRunner
    {
        private readonly GpuKernels kernels = new(accelerator, groupSize);
        private readonly List<TensorStep<GpuTensor, GpuScalar>> steps = [];
        private readonly List<DeviceTensor> parameterTensors = [];
        private readonly List<DeviceTensor[]> stateTensors = [];
        private readonly List<DeviceTensor> gradientTensors = [];

        public GpuKernels Kernels => kernels;

        public override float[] Parameter(int index) => steps.Count > index ? parameterTensors[index].Read() : Initial[index];

        /// <summary>The state tensors of parameter <paramref name="index"/> (scratch included), in the rule's layout order.</summary>
        public float[][] State(int index) => stateTensors[index].Select(t => t.Read()).ToArray();

        /// <summary>When set, bfloat16 parameters are written with stochastic rounding under keys from this seed, the step and the tensor's index.</summary>
        public ulong? StochasticSeed { get; init; }

        /// <summary>
        /// Rounds every parameter in place to bfloat16 stochastically, with the dither the kernels use at step
        /// <paramref name="step"/> under <paramref name="seed"/>.
        /// </summary>
        public void RoundParametersStochastically(ulong seed, long step)
        {
            for (int i = 0; i < parameterTensors.Count; i++)
            {
                uint key = StochasticRounding.Key(seed, step, i);
                parameterTensors[i].Write(parameterTensors[i].Read()
                    .Select((x, j) => BitConverter.UInt32BitsToSingle((uint)StochasticRounding.ToBFloat16(x, StochasticRounding.Dither(key, j)) << 16)).ToArray());
            }
        }

        /// <summary>Rounds every parameter in place to <paramref name="type"/>, as a torch step's <c>p.copy_</c> into a 16-bit parameter does.</summary>
        public void RoundParameters(GpuElementType type)
        {
            foreach (var p in parameterTensors) p.Write(p.Read().Select(x => Reference16.Round(x, type)).ToArray());
        }

        protected override int Step<TOptions>(UpdateRule<TOptions> rule, TOptions options, long step, IReadOnlyList<float[]> gradients)
        {
            for (int i = steps.Count; i < Initial.Count; i++)
            {
                var layout = rule.StateLayout(Shapes[i], options, Format);
                var parameter = DeviceTensor.Create(accelerator, Initial[i].Length, parameterType, Initial[i]);
                // 8-bit codes take StorageLength float32 words, four codes to a word, as on the CPU.
                var state = layout.Select(s => DeviceTensor.Create(accelerator, s.StorageLength, stateType, null)).ToArray();
                parameterTensors.Add(parameter);
                stateTensors.Add(state);
                steps.Add(new TensorStep<GpuTensor, GpuScalar>($"p{i}", Shapes[i], parameter.Tensor, layout, state.Select(t => t.Tensor), i));
                gradientTensors.Add(DeviceTensor.Create(accelerator, Initial[i].Length, gradientType ?? parameterType, null));
                kernels.Reserve(Shapes[i]);
            }
            for (int i = 0; i < steps.Count; i++)
            {
                gradientTensors[i].Write(gradients[i]);
                steps[i].Gradient = gradientTensors[i].Tensor;
            }
            if (StochasticSeed is { } seed)
                for (int i = 0; i < steps.Count; i++)
                    steps[i].Parameter = parameterTensors[i].Tensor.WithStochasticRounding(StochasticRounding.Key(seed, step, i));
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
            foreach (var t in parameterTensors.Concat(stateTensors.SelectMany(s => s)).Concat(gradientTensors)) t.Dispose();
        }
    }

    /// <summary>A tensor of one element type in the accelerator's memory, written and read as float32 values on the host.</summary>
    internal sealed class DeviceTensor : IDisposable
    {
        private readonly MemoryBuffer buffer;
        private readonly Func<float[]> read;
        private readonly Action<float[]> write;

        private DeviceTensor(MemoryBuffer buffer, GpuTensor tensor, Func<float[]> read, Action<float[]> write)
        {
            this.buffer = buffer;
            Tensor = tensor;
            this.read = read;
            this.write = write;
        }

        public GpuTensor Tensor { get; }

        /// <summary>A zeroed tensor of <paramref name="length"/> elements, then <paramref name="values"/> (rounded to the type) when given.</summary>
        public static DeviceTensor Create(Accelerator accelerator, int length, GpuElementType type, float[]? values)
        {
            // A buffer of at least one element, as ILGPU allocates no empty buffer; the tensor views the first length.
            DeviceTensor tensor;
            switch (type)
            {
                case GpuElementType.Float32:
                {
                    var b = accelerator.Allocate1D<float>(Math.Max(1, length));
                    b.MemSetToZero();
                    var view = b.View.SubView(0, length);
                    tensor = new(b, new GpuTensor(view), () => view.GetAsArray1D(), v => view.CopyFromCPU(v));
                    break;
                }
                case GpuElementType.BFloat16:
                {
                    var b = accelerator.Allocate1D<ushort>(Math.Max(1, length));
                    b.MemSetToZero();
                    var view = b.View.SubView(0, length);
                    tensor = new(b, GpuTensor.FromBFloat16(view), () => view.GetAsArray1D().Select(x => Reference16.Value(x, type)).ToArray(),
                        v => view.CopyFromCPU(v.Select(x => Reference16.Bits(x, type)).ToArray()));
                    break;
                }
                case GpuElementType.Float16:
                {
                    var b = accelerator.Allocate1D<ILGPU.Half>(Math.Max(1, length));
                    b.MemSetToZero();
                    var view = b.View.SubView(0, length);
                    tensor = new(b, GpuTensor.FromFloat16(view),
                        () => view.GetAsArray1D().Select(x => Reference16.Value(Interop.FloatAsInt(x), type)).ToArray(),
                        v => view.CopyFromCPU(v.Select(x => Interop.IntAsFloat(Reference16.Bits(x, type))).ToArray()));
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, null);
            }
            if (values is not null) tensor.Write(values);
            return tensor;
        }

        public float[] Read() => read();

        public void Write(float[] values) => write(values);

        public void Dispose() => buffer.Dispose();
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
                var layout = rule.StateLayout(Shapes[i], options, Format);
                var state = layout.Select(s => new Memory<float>(new float[s.StorageLength])).ToArray();
                steps.Add(new TensorStep<Memory<float>, double>($"p{i}", Shapes[i], (float[])Initial[i].Clone(), layout, state, i));
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
