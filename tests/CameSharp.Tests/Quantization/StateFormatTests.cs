using CameSharp.Checkpoints;

namespace CameSharp.Tests.Quantization;

/// <summary>Optimizers with <see cref="StateFormat.Blockwise8Bit"/>: what they store, how they train, how they save.</summary>
public sealed class StateFormatTests
{
    public static TheoryData<string> Names => OptimizerTests.Names;

    /// <summary>A matrix whose rows end in a partial block, a vector large enough to quantize, and one that is not.</summary>
    private sealed class Model : IDisposable
    {
        public Model(string name, StateFormat format, int threads = 2)
        {
            W = new Parameter("w", OptimizerTests.Random(96 * 300, 1, 0.1f), 96, 300);
            V = new Parameter("v", OptimizerTests.Random(5000, 2, 0.1f));
            B = new Parameter("b", OptimizerTests.Random(300, 3, 0.1f));
            Optimizer = OptimizerTests.Create(name, ([W, V, B], OptimizerTests.OptionsFor(name, lr: 1e-3)));
            Optimizer.StateFormat = format;
            Optimizer.DegreeOfParallelism = threads;
        }

        public Parameter W { get; }
        public Parameter V { get; }
        public Parameter B { get; }
        public Optimizer Optimizer { get; }

        /// <summary>Steps [from, to) of a noisy pull towards fixed targets, so the moments carry signal and noise.</summary>
        public void Run(int from, int to)
        {
            foreach (int t in Enumerable.Range(from, to - from))
            {
                foreach (var (p, k) in new[] { (W, 10), (V, 20), (B, 30) })
                {
                    float[] noise = OptimizerTests.Random(p.Length, 1000 * k + t, 0.05f), target = OptimizerTests.Random(p.Length, k, 0.5f);
                    float[] data = p.Data.ToArray();
                    p.Grad = Enumerable.Range(0, p.Length).Select(i => data[i] - target[i] + noise[i]).ToArray();
                }
                Optimizer.Step();
            }
        }

        public float[] Parameters => [.. W.Data.ToArray(), .. V.Data.ToArray(), .. B.Data.ToArray()];

        public void Dispose() => Optimizer.Dispose();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Eight_bit_state_trains_as_float32_does_within_the_codes_precision(string name)
    {
        using var exact = new Model(name, StateFormat.Float32);
        using var eight = new Model(name, StateFormat.Blockwise8Bit);
        float[] start = exact.Parameters;
        exact.Run(0, 40);
        eight.Run(0, 40);
        float[] a = exact.Parameters, b = eight.Parameters;
        double moved = 0, apart = 0;
        for (int i = 0; i < a.Length; i++)
        {
            moved += Math.Pow(a[i] - start[i], 2);
            apart += Math.Pow(a[i] - b[i], 2);
        }
        // The codes keep each element within 1/16 of itself, or 1/8 for a second moment rounded stochastically (far
        // better on average): the paths stay close, and differ.
        double relative = Math.Sqrt(apart / moved);
        Assert.InRange(relative, 1e-6, 0.08);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Eight_bit_steps_are_bitwise_the_same_on_one_thread_and_two(string name)
    {
        using var one = new Model(name, StateFormat.Blockwise8Bit, threads: 1);
        using var two = new Model(name, StateFormat.Blockwise8Bit, threads: 2);
        one.Run(0, 5);
        two.Run(0, 5);
        Assert.Equal(one.Parameters.Select(BitConverter.SingleToInt32Bits), two.Parameters.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(OptimizerTests.StateValues(one.Optimizer).Select(BitConverter.SingleToInt32Bits),
            OptimizerTests.StateValues(two.Optimizer).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Came_keeps_about_one_byte_a_parameter_for_its_momentum()
    {
        using var eight = new Model("came", StateFormat.Blockwise8Bit);
        using var exact = new Model("came", StateFormat.Float32);
        eight.Run(0, 1);
        exact.Run(0, 1);
        // w [96, 300]: codes 28800 bytes, 2 blocks a row (256 + 44) = 192 absmax; v [5000]: 5000 bytes, 20 blocks; b stays float32.
        long momentum8 = 28800 + 4 * 192 + 5000 + 4 * 20 + 4 * 300, momentum32 = 4L * (28800 + 5000 + 300);
        Assert.Equal(exact.Optimizer.StateBytes - momentum32 + momentum8, eight.Optimizer.StateBytes);
    }

    [Theory]
    [InlineData("came", new[] { "w.exp_avg_codes:U8:96,300", "w.exp_avg_absmax:F32:192", "v.exp_avg_codes:U8:5000", "v.exp_avg_absmax:F32:20", "b.exp_avg:F32:300" })]
    [InlineData("adamw", new[] { "w.exp_avg_codes:U8:96,300", "w.exp_avg_absmax:F32:113", "w.exp_avg_sq_codes:U8:96,300", "w.exp_avg_sq_absmax:F32:113", "b.exp_avg_sq:F32:300" })]
    public void A_checkpoint_holds_codes_as_uint8_and_absmax_as_float32(string name, string[] expected)
    {
        using var model = new Model(name, StateFormat.Blockwise8Bit);
        model.Run(0, 2);
        using var buffer = new MemoryStream();
        model.Optimizer.Save(buffer);
        buffer.Position = 0;
        var (_, entries, _) = SafeTensorsFile.ReadHeader(buffer);
        var listed = entries.Select(e => $"{e.Name}:{e.DType}:{string.Join(",", e.Shape)}").ToHashSet();
        foreach (var entry in expected) Assert.Contains(entry, listed);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_saved_eight_bit_state_resumes_bit_for_bit(string name)
    {
        using var straight = new Model(name, StateFormat.Blockwise8Bit);
        using var resumed = new Model(name, StateFormat.Blockwise8Bit);
        straight.Run(0, 4);
        using var buffer = new MemoryStream();
        straight.Optimizer.Save(buffer);
        // The resumed model takes the same parameters, then the state from the file.
        straight.W.Data.CopyTo(resumed.W.Data);
        straight.V.Data.CopyTo(resumed.V.Data);
        straight.B.Data.CopyTo(resumed.B.Data);
        resumed.Optimizer.Load(new MemoryStream(buffer.ToArray()));
        straight.Run(4, 8);
        resumed.Run(4, 8);
        Assert.Equal(straight.Parameters.Select(BitConverter.SingleToInt32Bits), resumed.Parameters.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(StateFormat.Blockwise8Bit, StateFormat.Float32)]
    [InlineData(StateFormat.Float32, StateFormat.Blockwise8Bit)]
    public void A_checkpoint_of_the_other_format_is_refused_by_name_and_changes_nothing(StateFormat saved, StateFormat loading)
    {
        using var source = new Model("adamw", saved);
        source.Run(0, 2);
        using var buffer = new MemoryStream();
        source.Optimizer.Save(buffer);
        using var target = new Model("adamw", loading);
        target.Run(0, 3);
        var before = (target.Parameters.ToArray(), OptimizerTests.StateValues(target.Optimizer).ToArray());

        var e = Assert.Throws<CheckpointException>(() => target.Optimizer.Load(new MemoryStream(buffer.ToArray())));
        Assert.Contains($"StateFormat {saved}", e.Message);
        Assert.Contains($"StateFormat is {loading}", e.Message);
        Assert.Equal(before.Item1, target.Parameters);
        Assert.Equal(before.Item2, OptimizerTests.StateValues(target.Optimizer));
    }

    [Theory]
    [InlineData(new[] { 8192, 1 }, false)]
    [InlineData(new[] { 4096, 3 }, false)]
    [InlineData(new[] { 4096, 4 }, true)]
    [InlineData(new[] { 64, 64 }, true)]
    public void Rows_too_short_for_their_blocks_absmax_keep_the_momentum_in_float32(int[] shape, bool quantized)
    {
        var layout = StateTensorSpec.FullSize("exp_avg", shape, StateFormat.Blockwise8Bit, signed: true, rowLength: shape[^1]).ToList();
        Assert.Equal(quantized ? ["exp_avg_codes", "exp_avg_absmax"] : ["exp_avg"], layout.Select(s => s.Name));
    }

    [Fact]
    public void The_format_is_set_before_the_first_step()
    {
        using var model = new Model("came", StateFormat.Float32);
        model.Optimizer.StateFormat = StateFormat.Blockwise8Bit;
        model.Optimizer.StateFormat = StateFormat.Float32;
        model.Run(0, 1);
        model.Optimizer.StateFormat = StateFormat.Float32;
        var e = Assert.Throws<InvalidOperationException>(() => model.Optimizer.StateFormat = StateFormat.Blockwise8Bit);
        Assert.Contains("before the first step", e.Message);
        Assert.Equal(StateFormat.Float32, model.Optimizer.StateFormat);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => model.Optimizer.StateFormat = (StateFormat)7);
        Assert.Equal("StateFormat", range.ParamName);
    }
}
