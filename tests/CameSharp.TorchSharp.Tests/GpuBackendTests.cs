using CameSharp.Gpu.Tests;
using ILGPU.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>
/// The adapter's GPU path: parameters stepped in place by the fused GPU kernels through their tensors' memory. CUDA
/// tensors take it on a GPU; here the same glue runs over CPU tensors on ILGPU's CPU accelerator (routing, pointer
/// wrapping, verdicts across backends, the non-finite policy, state that moves between backends).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class GpuBackendTests(CpuAcceleratorFixture fixture)
{
    /// <summary>A matrix that splits into two row blocks of 110 rows (column partials added in order), a vector, and a 3-D tensor.</summary>
    private static readonly int[][] Shapes = [[120, 300], [40], [3, 8, 16]];

    private sealed class Run : IDisposable
    {
        public readonly Parameter[] Params;
        public readonly optim.Optimizer Optimizer;

        public Run(string name, Parameter[]? from = null, ScalarType dtype = ScalarType.Float32, Engine.StateFormat format = Engine.StateFormat.Float32)
        {
            Params = Shapes.Select((s, i) => TorchTestData.Param(CameSharpOptimizerTests.Random(s.Aggregate(1, (a, b) => a * b), i + 1, 0.5f), s, dtype))
                .ToArray();
            if (from is not null)
                foreach (var (dst, src) in Params.Zip(from))
                    using (torch.no_grad()) dst.copy_(src);
            Optimizer = name switch
            {
                "came" or "came-bc" => Optim.Came(Params, lr: 1e-2, weight_decay: 0.01, bias_correction: name == "came-bc"),
                "adafactor" => Optim.Adafactor(Params, beta1: 0.9),
                "adafactor-relative" => Optim.Adafactor(Params),
                "adamw" => Optim.AdamW(Params, lr: 1e-2),
                _ => Optim.Lamb(Params, lr: 1e-2),
            };
            ((ICameSharpOptimizer)Optimizer).StateFormat = format;
        }

        public void OnGpuKernels(Accelerator accelerator)
        {
            switch (Optimizer)
            {
                case Came c: c.StepCpuTensorsOn(accelerator, CpuAcceleratorFixture.GroupSize); break;
                case Adafactor a: a.StepCpuTensorsOn(accelerator, CpuAcceleratorFixture.GroupSize); break;
                case Lamb l: l.StepCpuTensorsOn(accelerator, CpuAcceleratorFixture.GroupSize); break;
                case AdamW w: w.StepCpuTensorsOn(accelerator, CpuAcceleratorFixture.GroupSize); break;
            }
        }

        public int GpuParameters => ((ICameSharpOptimizer)Optimizer).GpuKernelParameters;

        public void Steps(int from, int to, float scale = 1)
        {
            for (int t = from; t < to; t++)
            {
                for (int i = 0; i < Params.Length; i++)
                    TorchTestData.SetGrad(Params[i], CameSharpOptimizerTests.Random((int)Params[i].NumberOfElements, 100 * t + i, scale));
                Optimizer.step();
            }
        }

        public float[][] Values() => Params.Select(TorchTestData.Values).ToArray();

        /// <summary>Every parameter's values, step count and state tensors, as one string to compare whole.</summary>
        public string Fingerprint()
        {
            dynamic o = Optimizer;
            return string.Join("|", Params.Select(p =>
            {
                TensorState s = o.StateOf(p);
                return string.Join(",", TorchTestData.Values(p)) + ";" + s.step + ";" + string.Join(",", s.Names.SelectMany(n => TorchTestData.Values(s[n])));
            }));
        }

        public void Dispose() => Optimizer.Dispose();
    }

    /// <summary>
    /// The GPU kernels sum in another order than the CPU engine (trees in groups, then blocks in order), so the two agree
    /// to rounding: a few ulps of the parameters' movement, compounded over the steps.
    /// </summary>
    private static void AssertClose(float[][] expected, float[][] actual, float[][] initial)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double moved = expected[i].Zip(initial[i], (e, p) => Math.Abs((double)e - p)).Max();
            double error = expected[i].Zip(actual[i], (e, a) => Math.Abs((double)e - a)).Max();
            Assert.True(moved > 0, $"parameter {i} did not move");
            Assert.True(error <= 2e-5 * moved + 1e-7, $"parameter {i}: {error:E3} against a movement of {moved:E3}");
        }
    }

    /// <summary>
    /// 8-bit state takes the GPU kernels too, its codes wrapped in place as the CPU engine packs them: AdamW (no sums)
    /// bit for bit, state included; CAME within its sums' rounding, which may move a code by a step (1/8 of its element).
    /// </summary>
    [Theory]
    [InlineData("adamw")]
    [InlineData("came-bc")]
    public void Eight_bit_state_takes_the_gpu_kernels_as_the_cpu_engine_does(string name)
    {
        using var cpu = new Run(name, format: Engine.StateFormat.Blockwise8Bit);
        using var gpu = new Run(name, format: Engine.StateFormat.Blockwise8Bit);
        gpu.OnGpuKernels(fixture.Accelerator);
        var initial = cpu.Values();
        cpu.Steps(0, 3);
        gpu.Steps(0, 3);
        Assert.Equal(Shapes.Length, gpu.GpuParameters);
        Assert.Equal(Shapes.Length, TorchTestData.FastPathParameters(cpu.Optimizer));
        if (name == "adamw")
        {
            Assert.Equal(cpu.Fingerprint(), gpu.Fingerprint());
            return;
        }
        float[][] expected = cpu.Values(), actual = gpu.Values();
        for (int i = 0; i < expected.Length; i++)
        {
            double moved = expected[i].Zip(initial[i], (e, p) => Math.Pow((double)e - p, 2)).Sum();
            double error = expected[i].Zip(actual[i], (e, a) => Math.Pow((double)e - a, 2)).Sum();
            Assert.True(Math.Sqrt(error / moved) <= 2e-3, $"parameter {i}: relative difference {Math.Sqrt(error / moved):E3}");
        }
    }

    [Theory]
    [InlineData("came")]
    [InlineData("came-bc")]
    [InlineData("adafactor")]
    [InlineData("adafactor-relative")]
    [InlineData("adamw")]
    [InlineData("lamb")]
    public void The_gpu_kernels_step_the_tensors_in_place_as_the_cpu_engine_does(string name)
    {
        using var cpu = new Run(name);
        using var gpu = new Run(name);
        gpu.OnGpuKernels(fixture.Accelerator);
        var initial = cpu.Values();
        var storage = gpu.Params.Select(TensorState.DataAddress).ToArray();
        cpu.Steps(0, 3);
        gpu.Steps(0, 3);
        Assert.Equal(Shapes.Length, gpu.GpuParameters);
        Assert.Equal(0, TorchTestData.FastPathParameters(gpu.Optimizer));
        Assert.Equal(Shapes.Length, TorchTestData.FastPathParameters(cpu.Optimizer));
        // In place: the parameters' storage did not move.
        Assert.Equal(storage, gpu.Params.Select(TensorState.DataAddress).ToArray());
        AssertClose(cpu.Values(), gpu.Values(), initial);
    }

    [Fact]
    public void A_non_finite_gradient_on_the_gpu_path_is_named_and_changes_nothing()
    {
        using var run = new Run("came-bc");
        run.OnGpuKernels(fixture.Accelerator);
        run.Steps(0, 2);
        var before = run.Values();
        string state = run.Fingerprint();
        var came = (Came)run.Optimizer;
        long steps = came.StateOf(run.Params[0]).step;
        for (int i = 0; i < run.Params.Length; i++)
            TorchTestData.SetGrad(run.Params[i], CameSharpOptimizerTests.Random((int)run.Params[i].NumberOfElements, 7 + i));
        using (torch.no_grad()) run.Params[2].grad![1, 2, 3] = float.PositiveInfinity;
        var e = Assert.Throws<Engine.NonFiniteGradientException>(() => came.step());
        Assert.Contains("parameter 2", e.Message);
        Assert.Equal(before, run.Values());
        Assert.Equal(steps, came.StateOf(run.Params[0]).step);
        Assert.Equal(state, run.Fingerprint());

        came.NonFinitePolicy = Engine.NonFinitePolicy.SkipStep;
        came.step();
        Assert.Equal(1, came.SkippedSteps);
        Assert.Equal(state, run.Fingerprint());
    }

    [Fact]
    public void A_refusal_on_the_torch_op_path_stops_the_gpu_path_too()
    {
        // Parameter 1 goes through torch ops (float64), the others through the GPU kernels: one verdict list each.
        using var mixed = new Run("came");
        var ps = new[] { mixed.Params[0], new Parameter(mixed.Params[1].detach().to(ScalarType.Float64)), mixed.Params[2] };
        using var came = Optim.Came(ps, lr: 1e-2);
        came.StepCpuTensorsOn(fixture.Accelerator, CpuAcceleratorFixture.GroupSize);
        for (int i = 0; i < ps.Length; i++)
            ps[i].grad = torch.tensor(CameSharpOptimizerTests.Random((int)ps[i].NumberOfElements, i)).reshape(ps[i].shape).to(ps[i].dtype);
        came.step();
        Assert.Equal(2, came.GpuKernelParameters);
        string State() => string.Join("|", ps.Select(p =>
            string.Join(",", TorchTestData.Values(p)) + ";" + string.Join(",", came.StateOf(p).Names.SelectMany(n => TorchTestData.Values(came.StateOf(p)[n])))));
        string before = State();
        using (torch.no_grad()) ps[1].grad![5] = double.NaN;
        var e = Assert.Throws<Engine.NonFiniteGradientException>(() => came.step());
        Assert.Contains("parameter 1", e.Message);
        Assert.Equal(before, State());
    }

    [Fact]
    public void A_checkpoint_loaded_into_the_optimizer_that_wrote_it_is_what_the_gpu_kernels_step_next()
    {
        // Loading reads into the state tensors the GPU view wraps; a view left on old memory would step stale state.
        using var straight = new Run("came-bc");
        straight.OnGpuKernels(fixture.Accelerator);
        straight.Steps(0, 4);
        using var run = new Run("came-bc");
        run.OnGpuKernels(fixture.Accelerator);
        run.Steps(0, 2);
        using var checkpoint = new MemoryStream();
        ((Came)run.Optimizer).Save(checkpoint);
        var values = run.Values();
        run.Steps(2, 3, scale: 100);
        ((Came)run.Optimizer).Load(new MemoryStream(checkpoint.ToArray()));
        for (int i = 0; i < run.Params.Length; i++)
            using (torch.no_grad()) run.Params[i].copy_(torch.tensor(values[i]).reshape(run.Params[i].shape));
        run.Steps(2, 4);
        Assert.Equal(straight.Fingerprint(), run.Fingerprint());
    }

    [Theory]
    [InlineData("came-bc", true)]
    [InlineData("came-bc", false)]
    [InlineData("adafactor", true)]
    [InlineData("adamw", false)]
    [InlineData("lamb", true)]
    public void A_state_saved_on_one_path_continues_on_the_other(string name, bool fromGpu)
    {
        using var straight = new Run(name);
        if (fromGpu) straight.OnGpuKernels(fixture.Accelerator);
        var initial = straight.Values();
        straight.Steps(0, 4);

        using var first = new Run(name);
        if (fromGpu) first.OnGpuKernels(fixture.Accelerator);
        first.Steps(0, 2);
        using var checkpoint = new MemoryStream();
        ((dynamic)first.Optimizer).Save(checkpoint);

        using var resumed = new Run(name, first.Params);
        if (!fromGpu) resumed.OnGpuKernels(fixture.Accelerator);
        ((dynamic)resumed.Optimizer).Load(new MemoryStream(checkpoint.ToArray()));
        resumed.Steps(2, 4);
        Assert.Equal(fromGpu ? 0 : Shapes.Length, resumed.GpuParameters);
        AssertClose(straight.Values(), resumed.Values(), initial);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, true)]
    [InlineData(ScalarType.BFloat16, false)]
    [InlineData(ScalarType.Float16, false)]
    public void Sixteen_bit_parameters_take_the_gpu_kernels_and_round_as_the_torch_op_path(ScalarType dtype, bool stochastic)
    {
        using var ops = new Run("came-bc", dtype: dtype);
        using var gpu = new Run("came-bc", dtype: dtype);
        gpu.OnGpuKernels(fixture.Accelerator);
        foreach (var run in new[] { ops, gpu })
        {
            var came = (Came)run.Optimizer;
            came.StochasticRounding = stochastic;
            came.Seed = 5;
        }
        ((Came)ops.Optimizer).UseFastPath = false;
        var initial = ops.Values();
        ops.Steps(0, 2);
        gpu.Steps(0, 2);
        Assert.Equal(Shapes.Length, gpu.GpuParameters);
        // The two paths form the same float32 results up to the order of their sums, and round them alike (to nearest, or
        // with the same dither), so the 16-bit parameters agree but where a result lies at a rounding boundary: then by
        // one step of the type.
        var (expected, actual) = (ops.Values(), gpu.Values());
        int same = 0, total = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.NotEqual(initial[i], actual[i]);
            for (int j = 0; j < expected[i].Length; j++)
            {
                total++;
                if (expected[i][j] == actual[i][j]) same++;
                else Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= Math.Abs(expected[i][j]) * (dtype == ScalarType.BFloat16 ? 1.0 / 128 : 1.0 / 1024),
                    $"parameter {i}[{j}]: {actual[i][j]:R} against {expected[i][j]:R}");
            }
        }
        Assert.True(same >= total * 0.98, $"{same} of {total} values equal");
    }

    [Fact]
    public void Stochastic_rounding_keeps_updates_that_round_to_nearest_loses()
    {
        // At lr 1e-4 CAME's steps (about lr) are below half of bfloat16's step from 0.25 up (2⁻¹⁰): rounded to nearest,
        // those weights stay where they are; stochastically, some move.
        // Bias-corrected: official CAME's first steps are inflated by its uncorrected instability EMA.
        using var nearest = new Run("came-bc", dtype: ScalarType.BFloat16);
        using var stochastic = new Run("came-bc", dtype: ScalarType.BFloat16);
        foreach (var (run, on) in new[] { (nearest, false), (stochastic, true) })
        {
            var came = (Came)run.Optimizer;
            came.StochasticRounding = on;
            came.UseFastPath = false;
            came.ParamGroups.First().LearningRate = 1e-4;
        }
        var initial = nearest.Values();
        nearest.Steps(0, 2);
        stochastic.Steps(0, 2);
        int Moved(Run run) => run.Values().Zip(initial).Sum(p => p.First.Zip(p.Second).Count(v => Math.Abs(v.Second) >= 0.25f && v.First != v.Second));
        Assert.True(Moved(stochastic) > 10 * Math.Max(1, Moved(nearest)), $"stochastic moved {Moved(stochastic)}, nearest {Moved(nearest)}");
    }

    [Fact]
    public void The_storage_address_is_the_first_element_s_for_every_dtype_and_offset()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 })
        {
            using var t = torch.zeros([6, 10], dtype);
            using var row = t[2];
            Assert.Equal(BytesAddress(t), TensorState.DataAddress(t));
            Assert.Equal(BytesAddress(t) + 20 * (nint)t.ElementSize, TensorState.DataAddress(row));
        }
    }

    private static unsafe nint BytesAddress(Tensor t) =>
        (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(t.bytes));
}
