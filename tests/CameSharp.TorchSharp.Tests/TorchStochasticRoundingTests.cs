using CameSharp.Gpu;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.TorchSharp.Tests;

/// <summary>The torch-op statement of stochastic rounding to bfloat16, against the definition the GPU kernels use.</summary>
public sealed class TorchStochasticRoundingTests
{
    private static ushort Bits(float bf16Value) => (ushort)(BitConverter.SingleToUInt32Bits(bf16Value) >> 16);

    [Theory]
    [InlineData(20000)]
    [InlineData(300000)] // more than one chunk of 2¹⁸: the dither's index runs on across chunks
    public void Torch_ops_round_every_element_as_the_kernels_definition_does(int count)
    {
        var random = new Random(3);
        // Magnitudes across float32's range (subnormals included), both signs, and the edges.
        var values = Enumerable.Range(0, count)
            .Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 0xFF800000L)))
            .Where(float.IsFinite)
            .Concat([0f, -0f, 1f, -1f, float.MaxValue, -float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN])
            .ToArray();
        uint key = StochasticRounding.Key(42, 17, 3);
        using var source = torch.tensor(values);
        using var target = torch.zeros(values.Length, ScalarType.BFloat16);
        TorchStochasticRounding.Round(target, source, key);
        var actual = target.to(ScalarType.Float32).data<float>().ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            ushort expected = StochasticRounding.ToBFloat16(values[i], StochasticRounding.Dither(key, i));
            if (float.IsNaN(values[i])) Assert.True(float.IsNaN(actual[i]));
            else Assert.True(expected == Bits(actual[i]), $"element {i}, {values[i]:R}: 0x{Bits(actual[i]):X4}, expected 0x{expected:X4}");
        }
    }

    [Fact]
    public void Torch_ops_draw_the_kernels_dither()
    {
        uint key = StochasticRounding.Key(1, 2, 3);
        using var dither = TorchStochasticRounding.Dither(0, 5000, key, torch.CPU);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)StochasticRounding.Dither(key, i)), dither.data<long>().ToArray());
        using var later = TorchStochasticRounding.Dither(1_000_000, 50, key, torch.CPU);
        Assert.Equal(Enumerable.Range(1_000_000, 50).Select(i => (long)StochasticRounding.Dither(key, i)), later.data<long>().ToArray());
    }

    [Fact]
    public void A_non_contiguous_target_is_rounded_element_for_element_too()
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, 12 * 7).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        uint key = StochasticRounding.Key(9, 1, 0);
        using var storage = torch.zeros([7, 12], ScalarType.BFloat16);
        using var target = storage.t(); // [12, 7], not contiguous
        using var source = torch.tensor(values).reshape(12, 7);
        TorchStochasticRounding.Round(target, source, key);
        var actual = target.contiguous().to(ScalarType.Float32).data<float>().ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(StochasticRounding.ToBFloat16(values[i], StochasticRounding.Dither(key, i)), Bits(actual[i]));
    }
}
