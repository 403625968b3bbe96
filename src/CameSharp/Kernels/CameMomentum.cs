using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CameSharp.Kernels;

/// <summary>
/// CAME's momentum and instability over a factored tensor, fused: the clipped update u = clip · g · r_i · c_j
/// (recomputed from v's factors, never stored), the momentum m ← β1·m + (1 − β1)·u, and the row and column means of
/// the instability (u − m)² + ε2.
/// </summary>
/// <remarks>
/// The means go to the instability's factor vectors, which <see cref="FactoredMoment.Commit"/> later turns into factors
/// in place: the backend seam keeps them there between passes, so that a parameter needs no more scratch than that.
/// Column sums are added row by row, right after each row. Running down the chunk's columns afterwards instead (as
/// <see cref="FactoredSquareMeans"/> does) leaves memory idle while it recomputes the instability from cache, which
/// measured clearly slower in a stand-alone copy of both loops.
/// With an 8-bit momentum each row goes block by block: decode into a stack buffer, the same element formula, encode
/// back. Blocks hold whole vectors, so a row's sum is added in the same order either way.
/// </remarks>
internal sealed class CameMomentum : ChunkJob
{
    private readonly ColumnSumCombiner combiner = new();
    private FactoredLayout layout;
    private Memory<float> grad, expAvg, expAvgAbsmax, rowFactor, colFactor, rowMeans, columnMeans;
    private bool quantized;
    private float[] partials = [];
    private float clip, beta1, oneMinusBeta1, eps2;

    public void Execute(KernelRunner runner, KernelWorkspace workspace, Memory<float> gradient, FactoredMoment secondMoment,
        float clipScale, Moment<Memory<float>> momentum, double b1, float epsilon2, FactoredMoment instability)
    {
        layout = instability.Layout;
        grad = gradient;
        rowFactor = secondMoment.RowFactor;
        colFactor = secondMoment.ColFactor;
        clip = clipScale;
        expAvg = momentum.Data;
        expAvgAbsmax = momentum.Absmax;
        quantized = momentum.IsQuantized;
        beta1 = (float)b1;
        oneMinusBeta1 = (float)(1 - b1);
        eps2 = epsilon2;
        rowMeans = instability.RowFactor;
        columnMeans = instability.ColFactor;
        partials = workspace.Partials;
        runner.Run(this, layout.ChunkCount);
        combiner.Combine(runner, layout, partials, columnMeans, toMeans: true);
    }

    public override void Run(int chunk)
    {
        if (quantized)
        {
            RunBlocks(chunk);
            return;
        }
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols;
        var clipv = new Vector<float>(clip);
        var b1 = new Vector<float>(beta1);
        var w1 = new Vector<float>(oneMinusBeta1);
        var eps = new Vector<float>(eps2);
        // Spans taken once: a call (Memory.Span may be virtual) while a row's sum is live would make the JIT keep the sum
        // in memory inside the loop.
        ReadOnlySpan<float> allG = grad.Span, rowFactors = rowFactor.Span;
        Span<float> allM = expAvg.Span, means = rowMeans.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            Span<float> columnSums = layout.ColumnSums(chunk, b, partials, columnMeans);
            ReadOnlySpan<float> c = colFactor.Span.Slice(b * cols, cols);
            columnSums.Clear();
            for (int i = firstRow; i < endRow; i++)
            {
                int offset = layout.RowOffset(b, i);
                ReadOnlySpan<float> g = allG.Slice(offset, cols);
                Span<float> m = allM.Slice(offset, cols);
                var r = new Vector<float>(rowFactors[b * layout.Rows + i]);
                var rowSum = Vector<float>.Zero;
                int j = 0;
                for (; j <= cols - Simd.Width; j += Simd.Width)
                    rowSum += Update<FullLanes>(g, c, m, columnSums, j, r, clipv, b1, w1, eps);
                float sum = Simd.Sum(rowSum);
                if (j < cols)
                    sum += Simd.Sum(Update<TailLanes>(g, c, m, columnSums, j, r, clipv, b1, w1, eps));
                means[b * layout.Rows + i] = sum / cols;
            }
            if (layout.Splits == 1) TensorPrimitives.Divide(columnSums, layout.Rows, columnSums);
        }
    }

    /// <summary>The 8-bit momentum's version of <see cref="Run"/>: the same rows, a block at a time.</summary>
    private void RunBlocks(int chunk)
    {
        var (firstBatch, endBatch, firstRow, endRow) = layout.Range(chunk);
        int cols = layout.Cols, blocksPerRow = (cols + Blockwise8Bit.BlockSize - 1) / Blockwise8Bit.BlockSize;
        var clipv = new Vector<float>(clip);
        var b1 = new Vector<float>(beta1);
        var w1 = new Vector<float>(oneMinusBeta1);
        var eps = new Vector<float>(eps2);
        Span<float> block = stackalloc float[Blockwise8Bit.BlockSize];
        ReadOnlySpan<float> allG = grad.Span, rowFactors = rowFactor.Span;
        Span<byte> allCodes = MemoryMarshal.AsBytes(expAvg.Span);
        Span<float> absmax = expAvgAbsmax.Span, means = rowMeans.Span;
        for (int b = firstBatch; b < endBatch; b++)
        {
            Span<float> columnSums = layout.ColumnSums(chunk, b, partials, columnMeans);
            ReadOnlySpan<float> c = colFactor.Span.Slice(b * cols, cols);
            columnSums.Clear();
            for (int i = firstRow; i < endRow; i++)
            {
                int row = b * layout.Rows + i, offset = layout.RowOffset(b, i);
                var r = new Vector<float>(rowFactors[row]);
                var rowSum = Vector<float>.Zero;
                float tail = 0;
                for (int k = 0, index = row * blocksPerRow; k < cols; k += Blockwise8Bit.BlockSize, index++)
                {
                    int n = Math.Min(Blockwise8Bit.BlockSize, cols - k);
                    Span<float> m = block[..n];
                    Span<byte> codes = allCodes.Slice(offset + k, n);
                    BlockCodec.Decode<SignedCode>(codes, absmax[index], m);
                    ReadOnlySpan<float> g = allG.Slice(offset + k, n), ck = c.Slice(k, n);
                    Span<float> sums = columnSums.Slice(k, n);
                    int j = 0;
                    for (; j <= n - Simd.Width; j += Simd.Width)
                        rowSum += Update<FullLanes>(g, ck, m, sums, j, r, clipv, b1, w1, eps);
                    if (j < n)
                        tail = Simd.Sum(Update<TailLanes>(g, ck, m, sums, j, r, clipv, b1, w1, eps));
                    absmax[index] = BlockCodec.Encode<SignedCode>(m, codes);
                }
                means[row] = (Simd.Sum(rowSum) + tail) / cols;
            }
            if (layout.Splits == 1) TensorPrimitives.Divide(columnSums, layout.Rows, columnSums);
        }
    }

    /// <summary>Updates m at <paramref name="j"/>, adds the instability x into the column sums and returns x for the row's sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Update<TLanes>(ReadOnlySpan<float> g, ReadOnlySpan<float> c, Span<float> m, Span<float> columnSums, int j,
        Vector<float> r, Vector<float> clip, Vector<float> beta1, Vector<float> oneMinusBeta1, Vector<float> eps2) where TLanes : struct, ILanes
    {
        var u = r * TLanes.Load(c, j) * TLanes.Load(g, j) * clip;
        var mv = TLanes.Load(m, j) * beta1 + oneMinusBeta1 * u;
        TLanes.Store(mv, m, j);
        var d = u - mv;
        var x = d * d + eps2;
        TLanes.Store(TLanes.Load(columnSums, j) + x, columnSums, j);
        return TLanes.Only(x, g.Length - j);
    }
}
