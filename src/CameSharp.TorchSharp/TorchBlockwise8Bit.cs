using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>
/// <see cref="Engine.Blockwise8Bit"/>'s code in torch ops, for the torch-op path: the definition's arithmetic, with
/// frexp and ldexp where it reads and writes a float's bits (TorchSharp has no view of a tensor as another dtype), over a view of the tensor as rows of blocks of 256 (each row padded with zeros to whole
/// blocks), so that it runs on any device and gives the CPU kernels' bytes. The codes are a uint8 tensor of the
/// parameter's shape; the absmax a float32 vector, one per block, in row-major order of the blocks.
/// </summary>
internal static class TorchBlockwise8Bit
{
    private const int Block = Engine.Blockwise8Bit.BlockSize;

    /// <summary>The float32 values of an 8-bit moment, a temporary of the codes' shape.</summary>
    /// <param name="moment">The codes and absmax.</param>
    /// <param name="rowLength">Where blocks restart: the last dimension for a factored pass's statistic, else the length.</param>
    public static Tensor Decode(Engine.Moment<Tensor> moment, long rowLength)
    {
        bool signed = moment.Encoding == Engine.StateEncoding.SignedCodes;
        var codes = Blocks(moment.Data.to(ScalarType.Int32), rowLength);
        var magnitude = signed ? codes.bitwise_and(127) : codes;
        // e ≥ 1: 2^(e − bias)·(1 + f/8), formed with ldexp (exact); e = 0: f units of the linear range.
        var exponent = magnitude.bitwise_right_shift(3);
        var fraction = magnitude.bitwise_and(7).to(ScalarType.Float32);
        var normal = fraction.div(8f).add_(1f).ldexp(exponent.sub(signed ? 16 : 32));
        var linear = fraction.mul(signed ? 1f / (1 << 18) : 1f / (1L << 34));
        var value = torch.where(exponent.eq(0), linear, normal);
        if (signed) value = torch.where(codes.ge(128), value.neg(), value);
        var scale = moment.Absmax.div(Engine.Blockwise8Bit.Top).clamp_max_(float.MaxValue).unsqueeze(-1);
        return Unblock(value.mul_(scale), moment.Data.shape, rowLength);
    }

    /// <summary>Encodes <paramref name="values"/> into the moment's codes and absmax, in place.</summary>
    public static void Encode(Tensor values, Engine.Moment<Tensor> moment, long rowLength)
    {
        bool signed = moment.Encoding == Engine.StateEncoding.SignedCodes;
        var x = Blocks(values, rowLength);
        var absmax = x.abs().amax([-1L]);
        // Top / a exactly as the definition forms it (one division), then 0 where it is not finite.
        var inverse = torch.full_like(absmax, Engine.Blockwise8Bit.Top).div_(absmax);
        inverse = torch.where(inverse.isfinite(), inverse, torch.zeros_like(inverse));
        // A block whose inverse is 0 (all zeros, or an absmax too large or too small to normalise by) is stored as
        // zeros with absmax 0, as the definition does.
        var encoded = inverse.ne(0);
        var q = x.abs().mul_(inverse.unsqueeze(-1));
        // As the definition: below the smallest normal magnitude, q is added to it (float32), and the code taken one
        // octave lower. In the normal range q = s · 2^(k − 1) with s = 2·mantissa in [1, 2); the fraction (s − 1)·8 is
        // exact, and so is adding 0.5 to it (its last bit is 2^−20), so flooring rounds to nearest, ties up, as the
        // definition's bit arithmetic does; a fraction that rounds to 8 carries into the next octave's code, as the bits would.
        var minNormal = signed ? Engine.Blockwise8Bit.SignedMinNormal : Engine.Blockwise8Bit.UnsignedMinNormal;
        var linear = q.lt(minNormal);
        var placed = torch.where(linear, q.add(minNormal), q);
        var (mantissa, power) = placed.frexp();
        // A second moment is rounded stochastically (the definition's dither, in units of the code's step: exact, and so
        // is the sum, whose last bit is also 2^−20).
        var rounding = signed ? torch.tensor(0.5f, device: q.device) : Blocks(Dither(moment.RoundingKey, values), rowLength);
        var rounded = mantissa.mul(2f).sub_(1f).mul_(8f).add_(rounding).floor_().to(ScalarType.Int32);
        var code = power.sub(1 - (signed ? 16 : 32)).mul_(8).add_(rounded)
            .sub_(linear.to(ScalarType.Int32).mul_(8)).clamp_max_(signed ? 127 : 255);
        if (signed) code = code.bitwise_or(torch.signbit(x).to(ScalarType.Int32).bitwise_left_shift(7));
        moment.Data.copy_(Unblock(code, moment.Data.shape, rowLength));
        moment.Absmax.copy_(torch.where(encoded, absmax, torch.zeros_like(absmax)));
    }

    /// <summary>Elements dithered at a time: the hash's int64 temporaries take about 50 bytes an element.</summary>
    private const long DitherChunk = 1 << 18;

    /// <summary><see cref="Engine.Blockwise8Bit.Dither"/> of every element of <paramref name="values"/> (by its flat index), in units of a code's step: float32 in [0, 1), of its shape.</summary>
    private static Tensor Dither(uint key, Tensor values)
    {
        var dither = torch.empty(values.shape, ScalarType.Float32, values.device);
        var flat = dither.view(-1);
        long n = flat.NumberOfElements;
        for (long start = 0; start < n; start += DitherChunk)
        {
            using var chunkScope = torch.NewDisposeScope();
            long length = Math.Min(DitherChunk, n - start);
            flat.narrow(0, start, length).copy_(TorchStochasticRounding.Dither(start, length, key, values.device, bits: 20).to(ScalarType.Float32).div_(1 << 20));
        }
        return dither;
    }

    /// <summary>The tensor as [blocks, 256]: rows of <paramref name="rowLength"/>, each padded with zeros to whole blocks.</summary>
    private static Tensor Blocks(Tensor t, long rowLength)
    {
        long blocksPerRow = (rowLength + Block - 1) / Block;
        var rows = t.reshape(-1, rowLength);
        if (blocksPerRow * Block != rowLength) rows = nn.functional.pad(rows, [0, blocksPerRow * Block - rowLength]);
        return rows.reshape(-1, Block);
    }

    /// <summary>The inverse of <see cref="Blocks"/>: the padding dropped, the shape restored.</summary>
    private static Tensor Unblock(Tensor blocks, long[] shape, long rowLength)
    {
        long blocksPerRow = (rowLength + Block - 1) / Block;
        return blocks.reshape(-1, blocksPerRow * Block).narrow(-1, 0, rowLength).reshape(shape);
    }
}
