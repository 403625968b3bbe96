namespace CameSharp.Tests;

public sealed class AdamWTests
{
    [Fact]
    public void The_first_step_moves_each_coordinate_by_lr_times_the_sign_of_its_gradient()
    {
        var w = new Parameter("w", new float[] { 1, 1, 1, 1 }, 2, 2) { Grad = new float[] { 3, -0.001f, 200, -5 } };
        using var opt = new AdamW([w], new AdamWOptions { LearningRate = 0.01, WeightDecay = 0 });
        opt.Step();
        float[] expected = [0.99f, 1.01f, 0.99f, 1.01f];
        var actual = w.Data.ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void A_matrix_holds_8_bytes_per_element()
    {
        var w = new Parameter("w", new float[30 * 40], 30, 40) { Grad = OptimizerTests.Random(1200, 2) };
        using var opt = new AdamW([w], new AdamWOptions());
        opt.Step();
        Assert.Equal(8L * 30 * 40, opt.StateBytes);
    }
}
