namespace CameSharp.Tests;

/// <summary>
/// A step consumes the gradients it was given, whatever its outcome, so that a gradient the caller did not set again
/// (because computing it threw, say) is never reused by the next step.
/// </summary>
public sealed class GradientConsumptionTests
{
    private static (Parameter W, Parameter B) Parameters() =>
        (new Parameter("w", OptimizerTests.Random(12, 1), 3, 4), new Parameter("b", OptimizerTests.Random(4, 2)));

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void A_step_consumes_the_gradients_and_leaves_their_memory_as_it_was(string name)
    {
        var (w, b) = Parameters();
        using var opt = OptimizerTests.Create(name, ([w, b], OptimizerTests.OptionsFor(name)));
        var gw = OptimizerTests.Random(12, 3);
        var copy = (float[])gw.Clone();
        w.Grad = gw;
        b.Grad = OptimizerTests.Random(4, 4);
        opt.Step();
        Assert.False(w.HasGrad);
        Assert.False(b.HasGrad);
        Assert.True(w.Grad.IsEmpty);
        Assert.Equal(copy, gw);
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void A_gradient_not_set_again_is_not_reused_by_the_next_step(string name)
    {
        var (w, b) = Parameters();
        using var opt = OptimizerTests.Create(name, ([w, b], OptimizerTests.OptionsFor(name)));
        // The control steps b alone, with the gradients the caller did compute: those of steps 0, 2 and 3.
        var control = new Parameter("b", OptimizerTests.Random(4, 2));
        using var controlOpt = OptimizerTests.Create(name, ([control], OptimizerTests.OptionsFor(name)));
        for (int t = 0; t < 4; t++)
        {
            w.Grad = OptimizerTests.Random(12, 10 + t);
            try
            {
                if (t == 1) throw new InvalidOperationException("the backward pass of b failed");
                b.Grad = OptimizerTests.Random(4, 20 + t);
                control.Grad = OptimizerTests.Random(4, 20 + t);
                controlOpt.Step();
            }
            catch (InvalidOperationException)
            {
                // A training loop that logs the failure and steps with what it has.
            }
            opt.Step();
        }
        Assert.Equal(4, OptimizerTests.StepCount(opt, w));
        Assert.Equal(3, OptimizerTests.StepCount(opt, b));
        Assert.Equal(control.Data.ToArray(), b.Data.ToArray());
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void A_skipped_step_consumes_the_gradients(string name)
    {
        var (w, b) = Parameters();
        using var opt = OptimizerTests.Create(name, ([w, b], OptimizerTests.OptionsFor(name)));
        opt.NonFinitePolicy = NonFinitePolicy.SkipStep;
        w.Grad = OptimizerTests.Random(12, 3);
        b.Grad = new float[] { 1, float.NaN, 0, 0 };
        opt.Step();
        Assert.Equal(1, opt.SkippedSteps);
        Assert.False(w.HasGrad || b.HasGrad);

        // The next batch's gradient of b is not ready: w steps alone, and the bad gradient of b is not seen again.
        w.Grad = OptimizerTests.Random(12, 4);
        opt.Step();
        Assert.Equal(1, opt.SkippedSteps);
        Assert.Equal(1, OptimizerTests.StepCount(opt, w));
        Assert.Equal(0, OptimizerTests.StepCount(opt, b));
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Names), MemberType = typeof(OptimizerTests))]
    public void A_refused_step_changes_no_parameter_or_state_and_consumes_the_gradients(string name)
    {
        var (w, b) = Parameters();
        using var opt = OptimizerTests.Create(name, ([w, b], OptimizerTests.OptionsFor(name)));
        w.Grad = OptimizerTests.Random(12, 3);
        b.Grad = OptimizerTests.Random(4, 4);
        opt.Step();
        var before = w.Data.ToArray().Concat(b.Data.ToArray()).Concat(OptimizerTests.StateValues(opt)).ToArray();

        w.Grad = OptimizerTests.Random(12, 5);
        b.Grad = new float[] { 1, float.PositiveInfinity, 0, 0 };
        Assert.Throws<NonFiniteGradientException>(opt.Step);
        Assert.Equal(before, w.Data.ToArray().Concat(b.Data.ToArray()).Concat(OptimizerTests.StateValues(opt)));
        Assert.False(w.HasGrad || b.HasGrad);

        // A loop that catches the exception and goes on steps with the next gradients, not with the refused ones.
        w.Grad = OptimizerTests.Random(12, 6);
        opt.Step();
        Assert.Equal(2, OptimizerTests.StepCount(opt, w));
        Assert.Equal(1, OptimizerTests.StepCount(opt, b));
    }
}
