using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>The adapter's 8-bit state: the engine's, bit for bit, held in uint8 tensors, saved and refused where it cannot run.</summary>
public sealed class StateFormatTests
{
    public static TheoryData<string> Names => ["came", "came-bc", "adafactor", "adamw", "lamb"];

    private static Engine.OptimizerOptions Options(string name) =>
        name == "adamw" ? new Engine.AdamWOptions { LearningRate = 1e-3 } : CameSharpOptimizerTests.Options(name, lr: 1e-3);

    private static ICameSharpOptimizer Create(string name, IEnumerable<Parameter> ps)
    {
        var options = Options(name);
        var created = options is Engine.AdamWOptions o ? TorchTestData.CameSharpAdamW(ps, o) : TorchTestData.Create(ps, options);
        var ours = (ICameSharpOptimizer)created;
        ours.StateFormat = Engine.StateFormat.Blockwise8Bit;
        ours.DegreeOfParallelism = 2;
        return ours;
    }

    private static readonly int[][] Shapes = [[96, 300], [5000], [300]];

    private static float[] Gradient(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Sin(seed * 7.1f + i * 0.37f) * 1e-2f).ToArray();

    [Theory]
    [MemberData(nameof(Names))]
    public void The_adapter_steps_8_bit_state_as_the_engine_does(string name)
    {
        var data = Shapes.Select((s, k) => Enumerable.Range(0, s.Aggregate((a, b) => a * b)).Select(i => MathF.Cos(i * 0.1f + k) * 0.1f).ToArray()).ToArray();
        var torchParams = Shapes.Select((s, k) => TorchTestData.Param(data[k], s)).ToArray();
        using var adapter = (optim.Optimizer)Create(name, torchParams);
        var engineParams = Shapes.Select((s, k) => new Engine.Parameter($"p{k}", (float[])data[k].Clone(), s)).ToArray();
        using var engine = EngineOptimizer(engineParams, Options(name));
        engine.StateFormat = Engine.StateFormat.Blockwise8Bit;

        for (int t = 0; t < 5; t++)
        {
            for (int k = 0; k < Shapes.Length; k++)
            {
                float[] g = Gradient(data[k].Length, 10 * t + k);
                TorchTestData.SetGrad(torchParams[k], g);
                engineParams[k].Grad = g;
            }
            adapter.step();
            engine.Step();
        }
        Assert.Equal(Shapes.Length, ((ICameSharpOptimizer)adapter).FastPathParameters);
        for (int k = 0; k < Shapes.Length; k++)
            Assert.Equal(engineParams[k].Data.ToArray().Select(BitConverter.SingleToInt32Bits),
                TorchTestData.Values(torchParams[k]).Select(BitConverter.SingleToInt32Bits));
        // The engine counts scratch in its state; the adapter apart.
        Assert.Equal(engine.StateBytes, ((ICameSharpOptimizer)adapter).StateBytes + ScratchBytes(adapter));
    }

    private static Engine.Optimizer EngineOptimizer(IEnumerable<Engine.Parameter> ps, Engine.OptimizerOptions options) => options switch
    {
        Engine.CameOptions o => new Engine.Came(ps, o),
        Engine.AdafactorOptions o => new Engine.Adafactor(ps, o),
        Engine.AdamWOptions o => new Engine.AdamW(ps, o),
        Engine.LambOptions o => new Engine.Lamb(ps, o),
        _ => throw new NotSupportedException(options.GetType().Name),
    };

    private static void Save(optim.Optimizer o, Stream stream)
    {
        if (o is Came c) c.Save(stream);
        else ((AdamW)o).Save(stream);
    }

    private static void Load(optim.Optimizer o, Stream stream)
    {
        if (o is Came c) c.Load(stream);
        else ((AdamW)o).Load(stream);
    }

    private static long ScratchBytes(optim.Optimizer o) => o switch
    {
        Came c => c.ScratchBytes,
        Adafactor a => a.ScratchBytes,
        AdamW a => a.ScratchBytes,
        Lamb l => l.ScratchBytes,
        _ => 0,
    };

    [Fact]
    public void The_codes_are_uint8_tensors_of_the_parameters_shape()
    {
        var w = TorchTestData.Param(new float[96 * 300], [96, 300]);
        var b = TorchTestData.Param(new float[300], [300]);
        using var adam = (AdamW)Create("adamw", [w, b]);
        var state = adam.StateOf(w);
        Assert.Equal(["exp_avg_codes", "exp_avg_absmax", "exp_avg_sq_codes", "exp_avg_sq_absmax"], state.Names);
        Assert.Equal(ScalarType.Byte, state["exp_avg_codes"].dtype);
        Assert.Equal([96L, 300], state["exp_avg_codes"].shape);
        Assert.Equal([113L], state["exp_avg_absmax"].shape);
        Assert.Equal(["exp_avg", "exp_avg_sq"], adam.StateOf(b).Names);
        Assert.Equal(2 * (96 * 300 + 4 * 113) + 8 * 300, adam.StateBytes);
    }

    [Theory]
    [InlineData("came")]
    [InlineData("adamw")]
    public void A_saved_8_bit_state_resumes_bit_for_bit_from_a_file_and_from_a_state_dict(string name)
    {
        Parameter[] Params() => Shapes.Select((s, k) => TorchTestData.Param(Enumerable.Range(0, s.Aggregate((a, b) => a * b)).Select(i => MathF.Cos(i + k) * 0.1f).ToArray(), s)).ToArray();
        void Run(optim.Optimizer o, Parameter[] ps, int from, int to)
        {
            for (int t = from; t < to; t++)
            {
                for (int k = 0; k < ps.Length; k++) TorchTestData.SetGrad(ps[k], Gradient((int)ps[k].numel(), 10 * t + k));
                o.step();
            }
        }
        var straight = Params();
        using var first = (optim.Optimizer)Create(name, straight);
        Run(first, straight, 0, 3);
        using var file = new MemoryStream();
        Save(first, file);
        var dictPath = Path.GetTempFileName();
        try
        {
            ((global::TorchSharp.Modules.OptimizerHelper)first).save_state_dict(dictPath);
            foreach (bool fromFile in new[] { true, false })
            {
                var resumed = Params();
                for (int k = 0; k < resumed.Length; k++)
                    using (torch.no_grad()) resumed[k].copy_(straight[k]);
                using var second = (optim.Optimizer)Create(name, resumed);
                if (fromFile) Load(second, new MemoryStream(file.ToArray()));
                else ((global::TorchSharp.Modules.OptimizerHelper)second).load_state_dict(dictPath);
                var expected = Params();
                for (int k = 0; k < expected.Length; k++)
                    using (torch.no_grad()) expected[k].copy_(straight[k]);
                using var third = (optim.Optimizer)Create(name, expected);
                Load(third, new MemoryStream(file.ToArray()));
                Run(second, resumed, 3, 6);
                Run(third, expected, 3, 6);
                for (int k = 0; k < resumed.Length; k++)
                    Assert.Equal(TorchTestData.Values(expected[k]).Select(BitConverter.SingleToInt32Bits),
                        TorchTestData.Values(resumed[k]).Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            File.Delete(dictPath);
        }
    }

    /// <summary>The torch-op path's codec gives the definition's bytes and values (its stochastic rounding too), rows of partial blocks included.</summary>
    [Theory]
    [InlineData(true, new[] { 7, 300 })]
    [InlineData(false, new[] { 7, 300 })]
    [InlineData(true, new[] { 5000 })]
    [InlineData(false, new[] { 4096 })]
    public void Torch_ops_encode_and_decode_as_the_definition(bool signed, int[] shape)
    {
        int n = shape.Aggregate((a, b) => a * b), rowLength = shape[^1];
        var rng = new Random(n);
        // Decades of magnitudes, exact zeros, a negative zero, ties of the linear range and a block of zeros.
        float[] x = Enumerable.Range(0, n).Select(i => i < 256 && shape.Length == 1 ? 0f
            : i % 97 == 0 ? 0f : i % 89 == 0 ? -0f
            : (float)((signed ? rng.NextDouble() - 0.5 : rng.NextDouble()) * Math.Pow(10, -12 * rng.NextDouble()))).ToArray();
        int blocks = Engine.Blockwise8Bit.BlockCount(n, rowLength);
        var encoding = signed ? Engine.StateEncoding.SignedCodes : Engine.StateEncoding.UnsignedCodes;
        uint key = Engine.Blockwise8Bit.RoundingKey(step: 9, tensor: 4);
        var moment = new Engine.Moment<Tensor>(torch.zeros(shape.Select(d => (long)d).ToArray(), ScalarType.Byte), torch.zeros(blocks), encoding, key);
        TorchBlockwise8Bit.Encode(torch.tensor(x).reshape(moment.Data.shape), moment, rowLength);
        byte[] codes = moment.Data.data<byte>().ToArray();
        float[] absmax = moment.Absmax.data<float>().ToArray();
        float[] decoded = TorchBlockwise8Bit.Decode(moment, rowLength).data<float>().ToArray();

        int block = 0;
        for (int row = 0; row < n; row += rowLength)
            for (int k = 0; k < rowLength; k += Engine.Blockwise8Bit.BlockSize, block++)
            {
                int start = row + k, end = row + Math.Min(rowLength, k + Engine.Blockwise8Bit.BlockSize);
                float max = x[start..end].Max(MathF.Abs), inverse = Engine.Blockwise8Bit.InverseScale(max);
                Assert.Equal(inverse == 0 ? 0 : max, absmax[block]);
                float scale = Engine.Blockwise8Bit.Scale(absmax[block]);
                for (int i = start; i < end; i++)
                {
                    // Momenta rounded to nearest; second moments dithered by element index under the moment's key.
                    uint rounding = signed ? Engine.Blockwise8Bit.Nearest : Engine.Blockwise8Bit.Dither(key, i);
                    Assert.True(Engine.Blockwise8Bit.Encode(x[i], inverse, signed, rounding) == codes[i], $"element {i} = {x[i]:R}");
                    Assert.Equal(BitConverter.SingleToInt32Bits(Engine.Blockwise8Bit.Decode(codes[i], scale, signed)), BitConverter.SingleToInt32Bits(decoded[i]));
                }
            }
    }

    /// <summary>A block whose absmax is near float's largest decodes in torch ops as the definition does: finite, zeros to zero.</summary>
    [Fact]
    public void Torch_ops_decode_a_block_near_the_largest_float_as_the_definition()
    {
        float[] x = new float[256];
        x[3] = -3.3e38f;
        x[7] = 1e30f;
        var moment = new Engine.Moment<Tensor>(torch.zeros(256, ScalarType.Byte), torch.zeros(1), Engine.StateEncoding.SignedCodes);
        TorchBlockwise8Bit.Encode(torch.tensor(x), moment, 256);
        float absmax = moment.Absmax.data<float>()[0];
        Assert.Equal(3.3e38f, absmax);
        float[] decoded = TorchBlockwise8Bit.Decode(moment, 256).data<float>().ToArray();
        byte[] codes = moment.Data.data<byte>().ToArray();
        float scale = Engine.Blockwise8Bit.Scale(absmax);
        for (int i = 0; i < 256; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(Engine.Blockwise8Bit.Decode(codes[i], scale, signed: true)), BitConverter.SingleToInt32Bits(decoded[i]));
        Assert.All(decoded, value => Assert.True(float.IsFinite(value)));
    }

    /// <summary>
    /// A parameter off the CPU kernels (here forced with UseFastPath = false) keeps 8-bit state through torch ops, and
    /// trains as the kernels do within the float32 paths' own differences, which a code can round either way.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void The_torch_op_path_steps_8_bit_state_too(string name)
    {
        Parameter[] Params() => Shapes.Select((s, k) => TorchTestData.Param(Enumerable.Range(0, s.Aggregate((a, b) => a * b)).Select(i => MathF.Cos(i * 0.1f + k) * 0.1f).ToArray(), s)).ToArray();
        var fast = Params();
        var ops = Params();
        float[][] start = fast.Select(TorchTestData.Values).ToArray();
        using var a = (optim.Optimizer)Create(name, fast);
        using var b = (optim.Optimizer)Create(name, ops);
        ((ICameSharpOptimizer)b).UseFastPath = false;
        for (int t = 0; t < 6; t++)
        {
            for (int k = 0; k < Shapes.Length; k++)
            {
                float[] g = Gradient((int)fast[k].numel(), 10 * t + k);
                TorchTestData.SetGrad(fast[k], g);
                TorchTestData.SetGrad(ops[k], g);
            }
            a.step();
            b.step();
        }
        Assert.Equal(0, ((ICameSharpOptimizer)b).FastPathParameters);
        Assert.Equal(((ICameSharpOptimizer)a).StateBytes, ((ICameSharpOptimizer)b).StateBytes);
        double moved = 0, apart = 0;
        for (int k = 0; k < Shapes.Length; k++)
        {
            float[] x = TorchTestData.Values(fast[k]), y = TorchTestData.Values(ops[k]);
            for (int i = 0; i < x.Length; i++)
            {
                moved += Math.Pow(x[i] - start[k][i], 2);
                apart += Math.Pow(x[i] - y[i], 2);
            }
        }
        Assert.InRange(Math.Sqrt(apart / moved), 0, 1e-3);
    }

    [Fact]
    public void The_format_is_set_before_the_first_step()
    {
        var w = TorchTestData.Param(new float[96 * 300], [96, 300]);
        using var came = (Came)Create("came", [w]);
        came.StateFormat = Engine.StateFormat.Float32;
        Assert.Equal(["exp_avg", "exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_res_row", "exp_avg_res_col"], came.StateOf(w).Names);
        came.StateFormat = Engine.StateFormat.Blockwise8Bit;
        TorchTestData.SetGrad(w, Gradient(96 * 300, 1));
        came.step();
        var change = Assert.Throws<InvalidOperationException>(() => came.StateFormat = Engine.StateFormat.Float32);
        Assert.Contains("before the first step", change.Message);
        Assert.Equal(Engine.StateFormat.Blockwise8Bit, came.StateFormat);
        Assert.Equal(ScalarType.Byte, came.StateOf(w)["exp_avg_codes"].dtype);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => came.StateFormat = (Engine.StateFormat)7);
        Assert.Equal("StateFormat", range.ParamName);
    }
}
