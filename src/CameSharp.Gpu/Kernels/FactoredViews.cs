using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>A <see cref="Factored{TTensor}"/> statistic as kernels take it: its EMAs and its factor vectors (scratch).</summary>
internal readonly struct FactoredViews(ArrayView<float> row, ArrayView<float> col, ArrayView<float> rowFactor, ArrayView<float> colFactor)
{
    public readonly ArrayView<float> Row = row;
    public readonly ArrayView<float> Col = col;
    public readonly ArrayView<float> RowFactor = rowFactor;
    public readonly ArrayView<float> ColFactor = colFactor;

    /// <summary>The views of <paramref name="x"/>, given as <paramref name="argument"/>; each part must be float32.</summary>
    /// <exception cref="ArgumentException">A part is not float32.</exception>
    public static FactoredViews Of(Factored<GpuTensor> x, string argument) =>
        new(x.Row.StateView(argument, nameof(x.Row)), x.Col.StateView(argument, nameof(x.Col)), x.RowFactor.StateView(argument, nameof(x.RowFactor)),
            x.ColFactor.StateView(argument, nameof(x.ColFactor)));
}

/// <summary>β and 1 − β as an EMA uses them: β rounded to float32, 1 − β formed in double and then rounded (as torch's alpha).</summary>
internal readonly struct EmaWeights(double beta)
{
    public readonly float Beta = (float)beta;
    public readonly float OneMinusBeta = (float)(1 - beta);

    /// <summary>ema·β + (1 − β)·x, the reference's <c>mul_(β).add_(x, alpha=1-β)</c>, in the CPU engine's float operations.</summary>
    public float Of(float ema, float x) => ema * Beta + OneMinusBeta * x;
}
