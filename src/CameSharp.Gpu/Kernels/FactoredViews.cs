using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>A <see cref="Factored{TTensor}"/> statistic as kernels take it: its EMAs and its factor vectors (scratch).</summary>
internal readonly struct FactoredViews(ArrayView<float> row, ArrayView<float> col, ArrayView<float> rowFactor, ArrayView<float> colFactor)
{
    public readonly ArrayView<float> Row = row;
    public readonly ArrayView<float> Col = col;
    public readonly ArrayView<float> RowFactor = rowFactor;
    public readonly ArrayView<float> ColFactor = colFactor;

    public static FactoredViews Of(Factored<GpuTensor> x) => new(x.Row.Elements, x.Col.Elements, x.RowFactor.Elements, x.ColFactor.Elements);
}

/// <summary>β and 1 − β as an EMA uses them: β rounded to float32, 1 − β formed in double and then rounded (as torch's alpha).</summary>
internal readonly struct EmaWeights(double beta)
{
    public readonly float Beta = (float)beta;
    public readonly float OneMinusBeta = (float)(1 - beta);

    /// <summary>ema·β + (1 − β)·x, the reference's <c>mul_(β).add_(x, alpha=1-β)</c>, in the CPU engine's float operations.</summary>
    public float Of(float ema, float x) => ema * Beta + OneMinusBeta * x;
}
