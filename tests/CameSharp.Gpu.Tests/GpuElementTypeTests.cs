using ILGPU;
using ILGPU.Runtime;
using Xunit.Abstractions;

namespace CameSharp.Gpu.Tests;

/// <summary>
/// bfloat16 and float16 parameters and gradients: a 16-bit step is, bitwise, the float32 step from the upcast θ and g whose
/// result is rounded to the type (what the official code's upcast, update and <c>p.copy_</c> do), for every rule and the
/// kernels' paths (a matrix split into row blocks, a batched 3-D tensor, vectors of one and of many groups); the state
/// matches bitwise too. Mixed element types where a pass takes both θ and g, and 16-bit state tensors, are refused before
/// anything changes.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class GpuElementTypeTests(CpuAcceleratorFixture device, ITestOutputHelper output)
{
    private const int Steps = 3;

    /// <summary>
    /// A matrix cut into row blocks ([34, 1000]: 33 rows and 1, column sums through the partials), a batched 3-D tensor, and
    /// a vector of four groups of 32.
    /// </summary>
    private static readonly int[][] Factored = [[34, 1000], [3, 5, 7], [100]];

    /// <summary>
    /// The same without the split matrix, for what runs flat reductions over θ or g (AdamW, LAMB, Adafactor's RMS of θ):
    /// row blocks mean nothing to a flat pass, and on the CPU accelerator a 34000-element reduction costs a thousand
    /// groups' barriers.
    /// </summary>
    private static readonly int[][] Flat = [[6, 40], [3, 5, 7], [100]];

    private static readonly Dictionary<string, (Func<OptimizerOptions> Options, int[][] Shapes)> Rules = new()
    {
        ["came"] = (() => new CameOptions { LearningRate = 1e-2, WeightDecay = 1e-2 }, Factored),
        ["came_bias_correction"] = (() => new CameOptions { LearningRate = 1e-2, BiasCorrection = true }, Factored),
        ["adafactor"] = (() => new AdafactorOptions(), Flat),
        ["adafactor_beta1_lr"] = (() => new AdafactorOptions
        {
            LearningRate = 1e-2, RelativeStep = false, ScaleParameter = false, Beta1 = 0.9, WeightDecay = 1e-2,
        }, Factored),
        ["adamw"] = (() => new AdamWOptions { LearningRate = 1e-2, WeightDecay = 1e-2 }, Flat),
        ["lamb"] = (() => new LambOptions { LearningRate = 1e-2 }, Flat),
    };

    public static TheoryData<string, GpuElementType> Cases()
    {
        var data = new TheoryData<string, GpuElementType>();
        foreach (var optimizer in Rules.Keys)
        {
            data.Add(optimizer, GpuElementType.BFloat16);
            data.Add(optimizer, GpuElementType.Float16);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_16_bit_step_is_the_float32_step_from_the_upcast_values_rounded(string optimizer, GpuElementType type)
    {
        var (options, shapes) = (Rules[optimizer].Options(), Rules[optimizer].Shapes);
        int moved = AssertSameAsRoundedFloat32Steps(device.Accelerator, CpuAcceleratorFixture.GroupSize, optimizer, options, shapes, type);
        output.WriteLine($"{optimizer}, {type}: {moved} parameter values moved over {Steps} steps");
    }

    /// <summary>
    /// Steps the same parameters and gradients (rounded to <paramref name="type"/>) with θ and g of <paramref name="type"/>,
    /// and with float32 θ and g rounded to <paramref name="type"/> after each step, and asserts θ and every state tensor
    /// equal bitwise after each step. Returns how many parameter values moved, which must be some.
    /// </summary>
    internal static int AssertSameAsRoundedFloat32Steps(Accelerator accelerator, int groupSize, string name, OptimizerOptions options, int[][] shapes,
        GpuElementType type)
    {
        var random = new Random(name.Length * 31 + (int)type);
        var inits = shapes.Select(s => Values(random, Length(s), 1, type)).ToArray();
        // float16 holds gradients from about 6e-8 (subnormal) to 65504; bfloat16 float32's range.
        (int least, int most) = type == GpuElementType.Float16 ? (-6, 3) : (-8, 8);
        var gradients = Enumerable.Range(0, Steps).Select(_ => shapes.Select(s => Gradient(random, s, type, least, most)).ToArray()).ToArray();
        using var typed = new RuleRunner.GpuRunner(accelerator, groupSize, type);
        using var reference = new RuleRunner.GpuRunner(accelerator, groupSize);
        foreach (var (init, shape) in inits.Zip(shapes))
        {
            typed.Add(init, shape);
            reference.Add(init, shape);
        }
        int moved = 0;
        for (int t = 0; t < Steps; t++)
        {
            Assert.Equal(-1, typed.Step(options, t + 1, gradients[t]));
            Assert.Equal(-1, reference.Step(options, t + 1, gradients[t]));
            reference.RoundParameters(type);
            for (int i = 0; i < shapes.Length; i++)
            {
                string where = $"{name}, {type}, step {t + 1}, shape [{string.Join(", ", shapes[i])}]";
                var actual = typed.Parameter(i);
                AssertBitwise(reference.Parameter(i), actual, $"{where}: θ");
                var (expectedState, actualState) = (reference.State(i), typed.State(i));
                for (int k = 0; k < expectedState.Length; k++) AssertBitwise(expectedState[k], actualState[k], $"{where}: state tensor {k}");
                moved += actual.Zip(inits[i]).Count(p => p.First != p.Second);
            }
        }
        // Bitwise agreement means something only if the parameters moved.
        Assert.True(moved > 0, "no parameter moved");
        return moved;
    }

    [Fact]
    public void Tensors_know_their_element_type_and_length_in_elements()
    {
        var accelerator = device.Accelerator;
        using var floats = accelerator.Allocate1D<float>(6);
        using var bits = accelerator.Allocate1D<ushort>(6);
        using var halves = accelerator.Allocate1D<ILGPU.Half>(6);
        var f32 = new GpuTensor(floats.View);
        var bf16 = GpuTensor.FromBFloat16(bits.View.SubView(1, 5));
        var f16 = GpuTensor.FromFloat16(halves.View);
        Assert.Equal((GpuElementType.Float32, 6L), (f32.ElementType, f32.Length));
        Assert.Equal((GpuElementType.BFloat16, 5L), (bf16.ElementType, bf16.Length));
        Assert.Equal((GpuElementType.Float16, 6L), (f16.ElementType, f16.Length));
        Assert.Equal(floats.View, f32.View);
        Assert.Throws<InvalidOperationException>(() => bf16.View);
        Assert.Contains("BFloat16", bf16.ToString());
        Assert.Equal(GpuElementType.Float32, new GpuTensor(floats).ElementType);
    }

    /// <summary>A pass over θ and g of two element types, and what it is called with; the tensors are those of <see cref="PassTensors"/>.</summary>
    private static readonly Dictionary<string, Action<GpuKernels, PassTensors>> PassesOverBoth = new()
    {
        ["MomentumStep"] = (k, t) => k.MomentumStep(t["p"], t["g"], t["v"], k.Scalar(1), t.Moment("m"), 0.9, 1e-2f, 1e-2f, 1e-2f, true),
        ["AdafactorStep"] = (k, t) => k.AdafactorStep(t["p"], t["g"], t["v"], k.Scalar(1e-2), true, t.Moment("m"), 0.9, k.Scalar(1e-4)),
        ["AdafactorStep factored"] = (k, t) => k.AdafactorStep(t["p"], t["g"], t.Factored("V"), k.Scalar(1e-2), true, t.Moment("m"), 0.9, k.Scalar(1e-4)),
        ["AdamWStep"] = (k, t) => k.AdamWStep(t["p"], t["g"], t.Moment("m"), t.Moment("v"), 0.99f, 0.9, 0.999, 1e-2f, 1f, 1e-8f, true),
        ["LambMoments"] = (k, t) => k.LambMoments(t["p"], t["g"], t.Moment("m"), t.Moment("v"), 0.9, 0.999, new LambDirection(1, 1, 1e-6f, 1e-2f)),
    };

    public static TheoryData<string, GpuElementType, GpuElementType> MixedCases()
    {
        var data = new TheoryData<string, GpuElementType, GpuElementType>();
        foreach (var pass in PassesOverBoth.Keys) data.Add(pass, GpuElementType.BFloat16, GpuElementType.Float32);
        data.Add("AdamWStep", GpuElementType.Float32, GpuElementType.Float16);
        data.Add("LambMoments", GpuElementType.BFloat16, GpuElementType.Float16);
        return data;
    }

    [Theory]
    [MemberData(nameof(MixedCases))]
    public void A_pass_over_parameter_and_gradient_of_two_element_types_is_refused_and_changes_nothing(string pass, GpuElementType parameter,
        GpuElementType gradient)
    {
        using var kernels = new GpuKernels(device.Accelerator, CpuAcceleratorFixture.GroupSize);
        kernels.Reserve(PassTensors.Shape);
        using var tensors = new PassTensors(device.Accelerator, name => name == "p" ? parameter : name == "g" ? gradient : GpuElementType.Float32);
        var before = tensors.Snapshot();
        kernels.BeginStep();
        var error = Assert.Throws<ArgumentException>(() => PassesOverBoth[pass](kernels, tensors));
        Assert.Equal("gradient", error.ParamName);
        Assert.Contains($"{gradient}", error.Message);
        Assert.Contains($"{parameter}", error.Message);
        device.Accelerator.Synchronize();
        tensors.AssertUnchanged(before);
    }

    /// <summary>Each pass with one of its state tensors in bfloat16: the tensor, and the argument the refusal must name.</summary>
    private static readonly Dictionary<string, (string Tensor, string Argument, Action<GpuKernels, PassTensors> Run)> PassesOverState = new()
    {
        ["FactoredSquareMeans"] = ("V.Row", "v", (k, t) => k.FactoredSquareMeans(t["g"], t.Factored("V"), 1e-30f, 0.999)),
        ["CommitFactored"] = ("S.Col", "x", (k, t) => k.CommitFactored(t.Factored("S"), 0.9999)),
        ["SecondMoment"] = ("v", "v", (k, t) => k.SecondMoment(t["g"], t["v"], 0.999, 1e-30f)),
        ["CameMomentum m"] = ("m", "m", (k, t) => k.CameMomentum(t["g"], t.Factored("V"), k.Scalar(1), t.Moment("m"), 0.9, 1e-16f, t.Factored("S"))),
        ["CameMomentum instability"] = ("S.ColFactor", "instability",
            (k, t) => k.CameMomentum(t["g"], t.Factored("V"), k.Scalar(1), t.Moment("m"), 0.9, 1e-16f, t.Factored("S"))),
        ["ConfidenceStep"] = ("S.RowFactor", "instability", (k, t) => k.ConfidenceStep(t["p"], t.Moment("m"), t.Factored("S"), 1e-2f, 1e-2f, 1e-2f)),
        ["MomentumStep"] = ("m", "m", PassesOverBoth["MomentumStep"]),
        ["AdafactorStep"] = ("v", "v", PassesOverBoth["AdafactorStep"]),
        ["AdafactorStep factored"] = ("V.Col", "v", PassesOverBoth["AdafactorStep factored"]),
        ["AdamWStep"] = ("v", "v", PassesOverBoth["AdamWStep"]),
        ["LambMoments"] = ("m", "m", PassesOverBoth["LambMoments"]),
        ["LambStep"] = ("v", "v", (k, t) => k.LambStep(t["p"], t.Moment("m"), t.Moment("v"), new LambDirection(1, 1, 1e-6f, 1e-2f), 1e-2, k.Scalar(1))),
    };

    public static TheoryData<string> StateCases() => new(PassesOverState.Keys);

    [Theory]
    [MemberData(nameof(StateCases))]
    public void A_16_bit_state_tensor_is_refused_by_name_and_changes_nothing(string pass)
    {
        var (tensor, argument, run) = PassesOverState[pass];
        using var kernels = new GpuKernels(device.Accelerator, CpuAcceleratorFixture.GroupSize);
        kernels.Reserve(PassTensors.Shape);
        // θ and g in bfloat16 too, so that only the state tensor is wrong.
        using var tensors = new PassTensors(device.Accelerator,
            name => name == tensor || name == "p" || name == "g" ? GpuElementType.BFloat16 : GpuElementType.Float32);
        var before = tensors.Snapshot();
        kernels.BeginStep();
        var error = Assert.Throws<ArgumentException>(() => run(kernels, tensors));
        Assert.Equal(argument, error.ParamName);
        Assert.Contains("float32", error.Message);
        device.Accelerator.Synchronize();
        tensors.AssertUnchanged(before);
    }

    [Fact]
    public void AdamW_with_a_bfloat16_parameter_and_a_float32_gradient_refuses_the_step_and_changes_nothing()
    {
        using var gpu = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize, GpuElementType.BFloat16, GpuElementType.Float32);
        var random = new Random(5);
        int[] shape = [4, 8];
        var init = Values(random, 32, 1, GpuElementType.BFloat16);
        gpu.Add(init, shape);
        var error = Assert.Throws<ArgumentException>(() => gpu.Step(new AdamWOptions { LearningRate = 1e-2 }, 1, [Values(random, 32, 1, GpuElementType.Float32)]));
        Assert.Equal("gradient", error.ParamName);
        AssertBitwise(init, gpu.Parameter(0), "θ");
        Assert.All(gpu.State(0), s => Assert.All(s, x => Assert.Equal(0f, x)));
    }

    [Fact]
    public void Came_with_bfloat16_state_refuses_the_first_pass_and_changes_nothing()
    {
        using var gpu = new RuleRunner.GpuRunner(device.Accelerator, CpuAcceleratorFixture.GroupSize, GpuElementType.BFloat16,
            stateType: GpuElementType.BFloat16);
        var random = new Random(6);
        int[] shape = [4, 8];
        var init = Values(random, 32, 1, GpuElementType.BFloat16);
        gpu.Add(init, shape);
        var error = Assert.Throws<ArgumentException>(() => gpu.Step(new CameOptions { LearningRate = 1e-2 }, 1, [Values(random, 32, 1, GpuElementType.BFloat16)]));
        Assert.Equal("v", error.ParamName);
        AssertBitwise(init, gpu.Parameter(0), "θ");
        Assert.All(gpu.State(0), s => Assert.All(s, x => Assert.Equal(0f, x)));
    }

    /// <summary>
    /// One tensor of each role a pass takes, over <see cref="Shape"/>: θ ("p"), g, m, a full v, and two factored statistics
    /// ("V", "S": Row, Col, RowFactor, ColFactor), each of the element type asked for and filled with values in [0.5, 1.5).
    /// </summary>
    private sealed class PassTensors : IDisposable
    {
        public static readonly int[] Shape = [4, 8];

        private readonly Dictionary<string, RuleRunner.DeviceTensor> tensors = [];

        public PassTensors(Accelerator accelerator, Func<string, GpuElementType> typeOf)
        {
            var random = new Random(7);
            string[] flat = ["p", "g", "m", "v"];
            var names = flat.Concat(from s in new[] { "V", "S" } from part in new[] { "Row", "Col", "RowFactor", "ColFactor" } select $"{s}.{part}");
            foreach (var name in names)
            {
                int length = name.EndsWith("Row", StringComparison.Ordinal) || name.EndsWith("RowFactor", StringComparison.Ordinal) ? Shape[0]
                    : name.Contains('.') ? Shape[1] : Shape[0] * Shape[1];
                var type = typeOf(name);
                tensors[name] = RuleRunner.DeviceTensor.Create(accelerator, length, type,
                    Enumerable.Range(0, length).Select(_ => Reference16.Round((float)(0.5 + random.NextDouble()), type)).ToArray());
            }
        }

        public GpuTensor this[string name] => tensors[name].Tensor;

        /// <summary>A full-size state tensor as the passes take it: float32.</summary>
        public Moment<GpuTensor> Moment(string name) => Moment<GpuTensor>.Float32(this[name]);

        public Factored<GpuTensor> Factored(string name) =>
            new(Shape, this[$"{name}.Row"], this[$"{name}.Col"], this[$"{name}.RowFactor"], this[$"{name}.ColFactor"]);

        public Dictionary<string, float[]> Snapshot() => tensors.ToDictionary(t => t.Key, t => t.Value.Read());

        public void AssertUnchanged(Dictionary<string, float[]> before)
        {
            foreach (var (name, values) in Snapshot()) AssertBitwise(before[name], values, name);
        }

        public void Dispose()
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            if (BitConverter.SingleToInt32Bits(expected[j]) != BitConverter.SingleToInt32Bits(actual[j]))
                Assert.Fail($"{what}, element {j}: {actual[j]:R}, expected {expected[j]:R}");
        }
    }

    private static int Length(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static float[] Values(Random random, int length, double scale, GpuElementType type) =>
        Enumerable.Range(0, length).Select(_ => Reference16.Round((float)((random.NextDouble() * 2 - 1) * scale), type)).ToArray();

    /// <summary>A gradient of a random scale 10^[least, most], rounded to the type, with every fifth row (or element, for a vector) zero.</summary>
    private static float[] Gradient(Random random, int[] shape, GpuElementType type, int least, int most)
    {
        var g = Values(random, Length(shape), Math.Pow(10, random.Next(least, most + 1)), type);
        int cols = shape.Length >= 2 ? shape[^1] : 1;
        for (int row = 0; row * cols < g.Length; row += 5) Array.Clear(g, row * cols, cols);
        return g;
    }
}
