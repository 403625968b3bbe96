using ILGPU;
using static CameSharp.Gpu.Kernels.GroupReduce;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// The kernels over factored tensors ([..., R, C], see <see cref="MatrixLayout"/>). A pass over memory is one launch with
/// one group per row block: phase A walks the block row by row, the group's threads striding along the row (coalesced)
/// and reducing the row in a fixed tree; phase B walks the tile again column by column, each thread owning columns
/// t, t + 256, ..., and adds down the block's rows in row order. Phase B finds the tile in cache, so each element crosses
/// memory once, and a thread only touches in phase B the elements it touched in phase A, so no extra barrier is needed.
/// A kernel that reads g or θ is generic over their element type: a codec loads each element as float32 and stores θ back
/// (see <see cref="IElementCodec{TElement}"/>); state and statistics stay float32. Bytes quoted below are for float32 θ and
/// g; docs/gpu-kernels.md gives them for 16-bit θ and g too.
/// </summary>
internal static class FactoredPasses
{
    /// <summary>
    /// CAME's and Adafactor's pass 1 (reads g: 4 bytes a parameter): the row means of g² + ε1 into
    /// <c>v.RowFactor</c>; the column sums of g² + ε1 and of g² / r_i (r_i the row's EMA as the commit will form it),
    /// into <paramref name="sums"/> and <paramref name="weighted"/> (per block when split, else the column means and
    /// W_j themselves); 1 / r_i into <paramref name="rowWeights"/>.
    /// </summary>
    public static void SquareMeans<TElement, TCodec>(ArrayView<TElement> g, FactoredViews v, ArrayView<float> rowWeights, ArrayView<float> sums,
        ArrayView<float> weighted, MatrixShape s, float eps1, EmaWeights ema)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX, cols = s.Cols;
        int batch = Grid.IdxX / s.RowBlocks, block = Grid.IdxX % s.RowBlocks;
        int firstRow = block * s.RowsPerBlock, endRow = Math.Min(s.Rows, firstRow + s.RowsPerBlock);
        for (int i = firstRow; i < endRow; i++)
        {
            long offset = ((long)batch * s.Rows + i) * cols;
            float partial = 0;
            for (int j = t; j < cols; j += Group.DimX)
            {
                float x = codec.Load(g[offset + j]);
                partial += x * x + eps1;
            }
            float total = Sum(partial, shared);
            if (t == 0)
            {
                int row = batch * s.Rows + i;
                float mean = total / cols;
                v.RowFactor[row] = mean;
                rowWeights[row] = 1f / ema.Of(v.Row[row], mean);
            }
        }
        // Thread 0's row weights become visible to the whole group.
        Group.Barrier();
        for (int j = t; j < cols; j += Group.DimX)
        {
            float sum = 0, weightedSum = 0;
            for (int i = firstRow; i < endRow; i++)
            {
                float x = codec.Load(g[((long)batch * s.Rows + i) * cols + j]);
                float square = x * x;
                sum += square + eps1;
                weightedSum += rowWeights[batch * s.Rows + i] * square;
            }
            if (s.RowBlocks > 1)
            {
                long at = (long)Grid.IdxX * cols + j;
                sums[at] = sum;
                weighted[at] = weightedSum;
            }
            else
            {
                sums[batch * cols + j] = sum / s.Rows;
                weighted[batch * cols + j] = weightedSum;
            }
        }
    }

    /// <summary>
    /// After a split pass 1: each column's block sums added in block order, into the column means and W_j. One thread a
    /// column of every matrix.
    /// </summary>
    public static void CombineColumns(ArrayView<float> sums, ArrayView<float> weighted, ArrayView<float> columnMeans, ArrayView<float> columnWeights,
        MatrixShape s)
    {
        int index = Grid.GlobalIndex.X;
        if (index >= s.Batches * s.Cols) return;
        int batch = index / s.Cols, j = index % s.Cols;
        float sum = 0, weightedSum = 0;
        for (int k = 0; k < s.RowBlocks; k++)
        {
            long at = ((long)batch * s.RowBlocks + k) * s.Cols + j;
            sum += sums[at];
            weightedSum += weighted[at];
        }
        columnMeans[index] = sum / s.Rows;
        columnWeights[index] = weightedSum;
    }

    /// <summary>
    /// The end of pass 1, one group: Σ u² = Σ_b mean_i(r_i) · Σ_j W_j / c_j (r, c the EMAs as the commit will form them) into
    /// <paramref name="updateSquares"/>, and into <paramref name="verdict"/> 1 when every mean is finite, else 0. Reads the
    /// row and column vectors only.
    /// </summary>
    public static void FinishSquareMeans(FactoredViews v, ArrayView<float> columnWeights, MatrixShape s, EmaWeights ema,
        ArrayView<double> updateSquares, ArrayView<double> verdict)
    {
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX;
        double total = 0, nonFinite = 0;
        for (int b = 0; b < s.Batches; b++)
        {
            double rowSum = 0, weightedSum = 0;
            for (int i = t; i < s.Rows; i += Group.DimX)
            {
                int row = b * s.Rows + i;
                float mean = v.RowFactor[row];
                if (!IsFinite(mean)) nonFinite += 1;
                rowSum += ema.Of(v.Row[row], mean);
            }
            for (int j = t; j < s.Cols; j += Group.DimX)
            {
                int col = b * s.Cols + j;
                float mean = v.ColFactor[col];
                if (!IsFinite(mean)) nonFinite += 1;
                weightedSum += columnWeights[col] / (double)ema.Of(v.Col[col], mean);
            }
            double rowMean = Sum(rowSum, shared) / s.Rows;
            total += rowMean * Sum(weightedSum, shared);
        }
        double bad = Sum(nonFinite, shared);
        if (t == 0)
        {
            updateSquares[0] = total;
            verdict[0] = bad == 0 ? 1.0 : 0.0;
        }
    }

    /// <summary>
    /// Folds this step's means into the EMAs and leaves the factors rsqrt(row_i / mean(row)) and rsqrt(col_j). Groups
    /// [0, B) take a matrix's rows each (their mean needs the whole row vector); the rest take 256 columns each, first
    /// adding the columns' block sums in block order when <paramref name="combine"/> is set (after a split CAME pass 2).
    /// </summary>
    public static void Commit(FactoredViews x, ArrayView<float> partials, int combine, MatrixShape s, EmaWeights ema)
    {
        var shared = SharedMemory.GetDynamic<double>();
        int t = Group.IdxX;
        if (Grid.IdxX < s.Batches)
        {
            int b = Grid.IdxX;
            double sum = 0;
            for (int i = t; i < s.Rows; i += Group.DimX)
            {
                int row = b * s.Rows + i;
                float e = ema.Of(x.Row[row], x.RowFactor[row]);
                x.Row[row] = e;
                sum += e;
            }
            double mean = Sum(sum, shared) / s.Rows;
            for (int i = t; i < s.Rows; i += Group.DimX)
            {
                int row = b * s.Rows + i;
                x.RowFactor[row] = (float)(1.0 / Math.Sqrt(x.Row[row] / mean));
            }
            return;
        }
        int index = (Grid.IdxX - s.Batches) * Group.DimX + t;
        if (index >= s.Batches * s.Cols) return;
        float columnMean = x.ColFactor[index];
        if (combine != 0)
        {
            int batch = index / s.Cols, j = index % s.Cols;
            float total = 0;
            for (int k = 0; k < s.RowBlocks; k++)
                total += partials[((long)batch * s.RowBlocks + k) * s.Cols + j];
            columnMean = total / s.Rows;
        }
        float c = ema.Of(x.Col[index], columnMean);
        x.Col[index] = c;
        x.ColFactor[index] = (float)(1.0 / Math.Sqrt(c));
    }

    /// <summary>
    /// CAME's pass 2 (reads g and m, writes m: 12 bytes a parameter): û = r_i · c_j · g · clip, m ← β1·m + (1 − β1)·û, and
    /// the row means and column sums of (û − m)² + ε2, into <c>instability.RowFactor</c> and <paramref name="sums"/>
    /// (per block when split, else the column means). A float32 m is updated in phase A and read back in phase B; 8-bit
    /// codes are only read (5 bytes a parameter): both phases form the new m from them, and
    /// <see cref="QuantizedPasses.MomentumBlocks"/> encodes it after this pass, which needs every code's old value.
    /// </summary>
    public static void CameMomentum<TElement, TCodec, TMoment>(ArrayView<TElement> g, FactoredViews v, GpuScalar clipScale, TMoment m,
        EmaWeights beta1, float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement> where TMoment : struct, IMomentView
    {
        TCodec codec = default;
        var shared = SharedMemory.GetDynamic<double>();
        float clip = (float)clipScale.Evaluate();
        int t = Group.IdxX, cols = s.Cols;
        int batch = Grid.IdxX / s.RowBlocks, block = Grid.IdxX % s.RowBlocks;
        int firstRow = block * s.RowsPerBlock, endRow = Math.Min(s.Rows, firstRow + s.RowsPerBlock);
        for (int i = firstRow; i < endRow; i++)
        {
            int row = batch * s.Rows + i;
            long offset = (long)row * cols;
            float r = v.RowFactor[row];
            float partial = 0;
            for (int j = t; j < cols; j += Group.DimX)
            {
                float u = r * v.ColFactor[batch * cols + j] * codec.Load(g[offset + j]) * clip;
                float mv = beta1.Of(m.Load(offset + j), u);
                if (m.InPlace) m.Store(offset + j, mv);
                float d = u - mv;
                partial += d * d + eps2;
            }
            float total = Sum(partial, shared);
            if (t == 0) instability.RowFactor[row] = total / cols;
        }
        for (int j = t; j < cols; j += Group.DimX)
        {
            float c = v.ColFactor[batch * cols + j];
            float sum = 0;
            for (int i = firstRow; i < endRow; i++)
            {
                int row = batch * s.Rows + i;
                long at = (long)row * cols + j;
                float u = v.RowFactor[row] * c * codec.Load(g[at]) * clip;
                float d = u - (m.InPlace ? m.Load(at) : beta1.Of(m.Load(at), u));
                sum += d * d + eps2;
            }
            if (s.RowBlocks > 1) sums[(long)Grid.IdxX * cols + j] = sum;
            else instability.ColFactor[batch * cols + j] = sum / s.Rows;
        }
    }

    /// <summary>
    /// CAME's pass 3 (reads m and θ, writes θ: 12 bytes a parameter): θ ← θ − η·λ·θ, then θ ← θ − α · m · rsqrt(Ŝ) with Ŝ's
    /// factors. One thread an element, striding over the tensor. 8-bit m is decoded as it is read (9 bytes a parameter).
    /// </summary>
    public static void ConfidenceStep<TElement, TCodec, TMoment>(ArrayView<TElement> p, TMoment m, FactoredViews instability, MatrixShape s,
        float decay, float alpha, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement> where TMoment : struct, IMomentView
    {
        TCodec codec = default;
        long n = p.Length;
        int cols = s.Cols;
        for (long index = Grid.GlobalIndex.X; index < n; index += (long)Grid.DimX * Group.DimX)
        {
            int row = (int)(index / cols), j = (int)(index - (long)row * cols);
            int col = row / s.Rows * cols + j;
            float pv = codec.Load(p[index]);
            pv += decay * pv;
            p[index] = codec.Store(pv - instability.RowFactor[row] * instability.ColFactor[col] * m.Load(index) * alpha, index, key);
        }
    }

    /// <summary>
    /// Adafactor's step over a factored tensor (reads g, θ and m when on; writes θ and m): u = (r_i · scale) · c_j · g; with
    /// momentum m ← β1·m + (1 − β1)·u and u = m; θ ← θ − decay·θ − u.
    /// </summary>
    public static void AdafactorStep<TElement, TCodec>(ArrayView<TElement> p, ArrayView<TElement> g, FactoredViews v, GpuScalar scale,
        ArrayView<float> m, EmaWeights beta1, GpuScalar decay, MatrixShape s, uint key)
        where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
    {
        TCodec codec = default;
        float scaleValue = (float)scale.Evaluate();
        float minusDecay = -(float)decay.Evaluate();
        long n = p.Length;
        int cols = s.Cols;
        bool momentum = m.Length > 0;
        for (long index = Grid.GlobalIndex.X; index < n; index += (long)Grid.DimX * Group.DimX)
        {
            int row = (int)(index / cols), j = (int)(index - (long)row * cols);
            int col = row / s.Rows * cols + j;
            FlatPasses.AdafactorElement<TElement, TCodec>(p, m, index, v.RowFactor[row] * scaleValue * v.ColFactor[col] * codec.Load(g[index]),
                momentum, beta1, minusDecay, key);
        }
    }
}
