using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// Adafactor's last pass over a factored tensor: <see cref="AdafactorStep.Update"/> row by row, the row's factor folded
/// into the scale (scale = η · clip · r_i) and the column factors as the denominator.
/// </summary>
internal sealed class FactoredAdafactorStep : FactoredPass<FactoredAdafactorStep.Arguments>
{
    /// <summary>Steps with momentum when <paramref name="momentum"/> is not empty.</summary>
    public void Execute(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, FactoredMoment secondMoment,
        float updateScale, Moment<Memory<float>> momentum, double b1, float weightDecay) =>
        Run(runner, secondMoment.Layout,
            new(parameter, gradient, secondMoment.RowFactor, secondMoment.ColFactor, updateScale, momentum, b1, -weightDecay));

    protected override void Run(int chunk, in FactoredLayout layout, in Arguments a)
    {
        if (a.ExpAvg.Data.IsEmpty) Run<Off>(chunk, layout, a);
        else if (a.ExpAvg.IsQuantized) RunBlocks(chunk, layout, a);
        else Run<On>(chunk, layout, a);
    }

    private static void Run<TMomentum>(int chunk, in FactoredLayout layout, in Arguments a) where TMomentum : struct, ISwitch
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        ReadOnlySpan<float> rowFactors = a.RowFactor.Span;
        Span<float> allP = a.Parameter.Span, allM = a.ExpAvg.Data.Span;
        ReadOnlySpan<float> allG = a.Gradient.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = a.ColFactor.Span.Slice(b * cols, cols);
            for (int i = firstRow; i < endRow; i++)
            {
                int offset = layout.RowOffset(b, i);
                float rowScale = rowFactors[b * layout.Rows + i] * a.Scale;
                AdafactorStep.Update<Factors, TMomentum>(allP.Slice(offset, cols), allG.Slice(offset, cols), c, rowScale,
                    TMomentum.IsOn ? allM.Slice(offset, cols) : default, a.Beta1, a.Decay);
            }
        }
    }

    /// <summary>With an 8-bit momentum, whose blocks restart at each row.</summary>
    private static void RunBlocks(int chunk, in FactoredLayout layout, in Arguments a)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols, blocksPerRow = (cols + Blockwise8Bit.BlockSize - 1) / Blockwise8Bit.BlockSize;
        ReadOnlySpan<float> rowFactors = a.RowFactor.Span;
        Span<float> allP = a.Parameter.Span, absmax = a.ExpAvg.Absmax.Span;
        Span<byte> allCodes = MemoryMarshal.AsBytes(a.ExpAvg.Data.Span);
        ReadOnlySpan<float> allG = a.Gradient.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            ReadOnlySpan<float> c = a.ColFactor.Span.Slice(b * cols, cols);
            for (int i = firstRow; i < endRow; i++)
            {
                int row = b * layout.Rows + i, offset = layout.RowOffset(b, i);
                AdafactorStep.UpdateBlocks<Factors>(allP.Slice(offset, cols), allG.Slice(offset, cols), c, rowFactors[row] * a.Scale,
                    allCodes.Slice(offset, cols), absmax, row * blocksPerRow, a.Beta1, a.Decay);
            }
        }
    }

    internal readonly record struct Arguments(Memory<float> Parameter, Memory<float> Gradient, Memory<float> RowFactor, Memory<float> ColFactor,
        float Scale, Moment<Memory<float>> ExpAvg, double Beta1, float Decay);
}
