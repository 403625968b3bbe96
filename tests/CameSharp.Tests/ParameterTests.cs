using System.Runtime.InteropServices;

namespace CameSharp.Tests;

public sealed class ParameterTests
{
    [Fact]
    public void A_gradient_of_the_wrong_length_throws_and_leaves_the_old_gradient()
    {
        var p = new Parameter("w", new float[6], 2, 3);
        float[] good = [1, 2, 3, 4, 5, 6];
        p.Grad = good;
        var e = Assert.Throws<ArgumentException>(() => p.Grad = new float[5]);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("6 elements", e.Message);
        Assert.True(p.Grad.Span.SequenceEqual(good));
    }

    [Fact]
    public void A_parameter_over_memory_without_a_shape_is_a_vector_as_over_an_array()
    {
        float[] storage = [9, 1, 2, 3, 9];
        var overMemory = new Parameter("fc.bias", storage.AsMemory(1, 3));
        var overArray = new Parameter("fc.bias", new float[] { 1, 2, 3 });
        Assert.Equal(overArray.GetShape(), overMemory.GetShape());
        Assert.Equal([3], overMemory.GetShape());
        Assert.Equal(1, overMemory.Rank);

        // It steps in place, within its slice of the memory.
        using var opt = new AdamW([overMemory], new AdamWOptions { LearningRate = 0.1, WeightDecay = 0 });
        overMemory.Grad = new float[] { 1, 1, 1 };
        opt.Step();
        Assert.Equal([9f, 0.9f, 1.9f, 2.9f, 9f], storage.Select(x => MathF.Round(x, 5)));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Parameter("empty", Memory<float>.Empty));
        Assert.Contains("'empty'", e.Message);
    }

    [Fact]
    public void A_wrong_gradient_length_fails_before_an_optimizer_changes_anything()
    {
        var w = new Parameter("w", [1f, 2f, 3f, 4f], 2, 2);
        using var opt = new Came([w], new CameOptions { LearningRate = 0.1 });
        Assert.Throws<ArgumentException>(() => w.Grad = new float[3]);
        opt.Step();
        Assert.Equal([1f, 2f, 3f, 4f], w.Data.ToArray());
        Assert.Equal(0, opt.StepCount(w));
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 3, -1 })]
    public void Shapes_with_an_empty_or_negative_dimension_are_refused(int[] shape)
    {
        Assert.ThrowsAny<ArgumentException>(() => new Parameter("w", new Memory<float>(new float[3]), shape));
    }

    [Fact]
    public void Data_must_match_the_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Parameter("w", new float[5], 2, 3));
        Assert.Contains("6 elements", e.Message);
    }

    [Fact]
    public unsafe void Native_memory_is_updated_in_place()
    {
        nint data = (nint)NativeMemory.Alloc(4 * sizeof(float));
        nint grad = (nint)NativeMemory.Alloc(4 * sizeof(float));
        try
        {
            new Span<float>((void*)data, 4).Fill(1f);
            new Span<float>((void*)grad, 4).Fill(0.5f);
            var p = new Parameter("w", new UnmanagedFloatMemory(data, 4).Memory, 2, 2)
            {
                Grad = new UnmanagedFloatMemory(grad, 4).Memory,
            };
            using var opt = new AdamW([p], new AdamWOptions { LearningRate = 0.1, WeightDecay = 0 });
            opt.Step();
            // AdamW's first step moves every coordinate by lr · sign(g).
            Assert.All(new Span<float>((void*)data, 4).ToArray(), v => Assert.Equal(0.9f, v, 5));
        }
        finally
        {
            NativeMemory.Free((void*)data);
            NativeMemory.Free((void*)grad);
        }
    }
}
