namespace CameSharp.Tests;

public sealed class CameTests
{
    private static Came Stepped(params Parameter[] ps)
    {
        var opt = new Came(ps, new CameOptions { LearningRate = 1e-3 });
        foreach (var p in ps) p.Grad = OptimizerTests.Random(p.Length, 1);
        opt.Step();
        return opt;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(6, 5)]
    [InlineData(768, 3072)]
    public void A_matrix_holds_4RC_plus_16_R_plus_C_bytes(int rows, int cols)
    {
        using var opt = Stepped(new Parameter("w", new float[rows * cols], rows, cols));
        Assert.Equal(4L * rows * cols + 16L * (rows + cols), opt.StateBytes);
    }

    [Fact]
    public void A_batched_tensor_is_factored_over_its_last_two_dimensions()
    {
        using var opt = Stepped(new Parameter("w", new float[2 * 3 * 4 * 5], 2, 3, 4, 5));
        Assert.Equal(4L * 120 + 16L * 6 * (4 + 5), opt.StateBytes);
    }

    [Fact]
    public void A_vector_keeps_a_full_second_moment()
    {
        using var opt = Stepped(new Parameter("b", new float[100]));
        Assert.Equal(8L * 100, opt.StateBytes);
    }

    [Fact]
    public void State_is_created_at_a_parameter_s_first_step()
    {
        var w = new Parameter("w", new float[20], 4, 5);
        using var opt = new Came([w], new CameOptions { LearningRate = 1e-3 });
        Assert.Equal(0, opt.StateBytes);
        w.Grad = OptimizerTests.Random(20, 2);
        opt.Step();
        Assert.True(opt.StateBytes > 0);
    }

    [Fact]
    public void Consistent_updates_take_larger_steps_than_oscillating_ones()
    {
        // Row 0 always gets the same gradient; row 1 flips sign each step. Both have the same magnitude, so
        // Adafactor-like scaling treats them alike; CAME's instability (u - m)^2 is small for row 0 and large for
        // row 1, so row 0 moves further per unit of momentum: the confidence-guided step.
        var w = new Parameter("w", new float[8], 2, 4);
        using var opt = new Came([w], new CameOptions { LearningRate = 1e-2 });
        for (int t = 0; t < 50; t++)
        {
            float s = t % 2 == 0 ? 1 : -1;
            w.Grad = new float[] { 1, 1, 1, 1, s, s, s, s };
            opt.Step();
        }
        var p = w.Data.Span;
        Assert.True(Math.Abs(p[0]) > 5 * Math.Abs(p[4]), $"consistent row moved {p[0]}, oscillating row {p[4]}");
    }

    [Theory]
    [InlineData(false, 0.1 / 0.009)]   // official: m = 0.1 u, S = (1 - β3) 0.81, so the step is η · 0.1 / 0.009
    [InlineData(true, 1 / 0.9)]        // corrected: m / 0.1 = u and S = 0.81, so η / 0.9 (golden/README.md)
    public void Bias_correction_sets_the_first_step_of_a_constant_gradient(bool biasCorrection, double expectedStepOverLr)
    {
        const double lr = 1e-3;
        var w = new Parameter("w", new float[12], 3, 4);
        var b = new Parameter("b", new float[4]);
        using var opt = new Came([w, b], new CameOptions { LearningRate = lr, BiasCorrection = biasCorrection });
        w.Grad = Enumerable.Repeat(0.5f, 12).ToArray();
        b.Grad = Enumerable.Repeat(0.5f, 4).ToArray();
        opt.Step();
        foreach (float x in w.Data.Span.ToArray()) Assert.Equal(-expectedStepOverLr * lr, x, 1e-5 * expectedStepOverLr * lr);
        // A vector has no confidence step: the official one moves by η m = 0.1 η, the corrected one by η m / 0.1 = η.
        foreach (float x in b.Data.Span.ToArray()) Assert.Equal(-(biasCorrection ? 1 : 0.1) * lr, x, 1e-5 * lr);
    }

    [Fact]
    public void Bias_correction_keeps_the_official_state_and_survives_a_checkpoint()
    {
        string path = Path.Combine(Path.GetTempPath(), $"came-bc-{Guid.NewGuid():N}.safetensors");
        try
        {
            var w = new Parameter("w", OptimizerTests.Random(20, 5), 4, 5);
            using var opt = new Came([w], new CameOptions { LearningRate = 1e-3, BiasCorrection = true });
            w.Grad = OptimizerTests.Random(20, 6);
            opt.Step();
            Assert.Equal(4L * 20 + 16L * (4 + 5), opt.StateBytes);
            opt.Save(path);

            var restored = new Parameter("w", w.Data.ToArray(), 4, 5);
            using var other = new Came([restored], new CameOptions { LearningRate = 1e-3 });
            other.Load(path);
            Assert.True(other.ParamGroups[0].Options.BiasCorrection);

            var g = OptimizerTests.Random(20, 7);
            w.Grad = g;
            restored.Grad = (float[])g.Clone();
            opt.Step();
            other.Step();
            Assert.Equal(w.Data.ToArray(), restored.Data.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
