using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// The kernels that read g or read and write θ, launched for one element type of θ and g. <see cref="GpuKernels"/> holds
/// one per <see cref="GpuElementType"/> and picks it by the tensors' type, so its passes read the same for every type.
/// The caller has checked the element types: each tensor given as θ or g here is of this instance's type.
/// </summary>
internal abstract class ElementPasses
{
    /// <summary>The passes for θ and g of <paramref name="type"/>; no kernel is compiled until it is first launched.</summary>
    public static ElementPasses For(Accelerator accelerator, GpuElementType type) => type switch
    {
        GpuElementType.Float32 => new ElementPasses<float, Float32Codec>(accelerator),
        GpuElementType.BFloat16 => new ElementPasses<ushort, BFloat16Codec>(accelerator),
        GpuElementType.Float16 => new ElementPasses<ushort, Float16Codec>(accelerator),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "an element type GpuElementType names."),
    };

    /// <summary>The passes for bfloat16 θ written with stochastic rounding (see <see cref="GpuTensor.WithStochasticRounding"/>).</summary>
    public static ElementPasses StochasticBFloat16(Accelerator accelerator) => new ElementPasses<ushort, StochasticBFloat16Codec>(accelerator);

    /// <summary>Compiles every kernel of this element type now.</summary>
    public abstract void LoadAll();

    public abstract void SquareMeans(KernelConfig config, GpuTensor g, FactoredViews v, ArrayView<float> rowWeights, ArrayView<float> sums,
        ArrayView<float> weighted, MatrixShape s, float eps1, EmaWeights ema);

    public abstract void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, ArrayView<float> m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s);

    public abstract void ConfidenceStep(KernelConfig config, GpuTensor p, ArrayView<float> m, FactoredViews instability, MatrixShape s,
        float decay, float alpha);

    public abstract void FactoredAdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, FactoredViews v, GpuScalar scale,
        ArrayView<float> m, EmaWeights beta1, GpuScalar decay, MatrixShape s);

    public abstract void CountUnusable(KernelConfig config, GpuTensor g, ArrayView<double> partials);

    public abstract void SumOfSquares(KernelConfig config, GpuTensor x, ArrayView<double> partials);

    public abstract void SecondMoment(KernelConfig config, GpuTensor g, ArrayView<float> v, EmaWeights beta2, float eps1, ArrayView<double> partials);

    public abstract void MomentumStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar clip, ArrayView<float> m,
        EmaWeights beta1, float decay, float alpha, int move);

    public abstract void AdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar scale, ArrayView<float> m,
        EmaWeights beta1, GpuScalar decay);

    public abstract void AdamWStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> m, ArrayView<float> v,
        FlatPasses.AdamWConstants constants);

    public abstract void LambMoments(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> m, ArrayView<float> v, EmaWeights beta1,
        EmaWeights beta2, LambDirection direction, ArrayView<double> partials);

    public abstract void LambStep(KernelConfig config, GpuTensor p, ArrayView<float> m, ArrayView<float> v, LambDirection direction, GpuScalar scale);
}

/// <summary>
/// <see cref="ElementPasses"/> for elements stored as <typeparamref name="TElement"/> and converted by
/// <typeparamref name="TCodec"/>. Each kernel is compiled on its first launch and kept: a backend that only ever sees
/// float32 compiles no 16-bit kernel, and a model in bfloat16 compiles only the kernels its rules use.
/// </summary>
internal sealed class ElementPasses<TElement, TCodec>(Accelerator accelerator) : ElementPasses
    where TElement : unmanaged where TCodec : struct, IElementCodec<TElement>
{
    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape, float,
        EmaWeights>? squareMeans;
    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, float, FactoredViews,
        ArrayView<float>, MatrixShape>? cameMomentum;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, FactoredViews, MatrixShape, float, float, uint>? confidenceStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, GpuScalar,
        MatrixShape, uint>? factoredAdafactorStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<double>>? countUnusable;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<double>>? sumOfSquares;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, EmaWeights, float, ArrayView<double>>? secondMoment;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights, float,
        float, int, uint>? momentumStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights,
        GpuScalar, uint>? adafactorStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, FlatPasses.AdamWConstants, uint>?
        adamWStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, EmaWeights, EmaWeights,
        LambDirection, ArrayView<double>>? lambMoments;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, LambDirection, GpuScalar, uint>? lambStep;

    /// <summary>Compiles every kernel of this element type now (each compiles once, on first use, otherwise).</summary>
    public override void LoadAll()
    {
        _ = SquareMeansKernel;
        _ = CameMomentumKernel;
        _ = ConfidenceStepKernel;
        _ = FactoredAdafactorStepKernel;
        _ = CountUnusableKernel;
        _ = SumOfSquaresKernel;
        _ = SecondMomentKernel;
        _ = MomentumStepKernel;
        _ = AdafactorStepKernel;
        _ = AdamWStepKernel;
        _ = LambMomentsKernel;
        _ = LambStepKernel;
    }

    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape, float, EmaWeights> SquareMeansKernel =>
        squareMeans ??= accelerator.LoadStreamKernel<ArrayView<TElement>, FactoredViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape, float, EmaWeights>(FactoredPasses.SquareMeans<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape> CameMomentumKernel =>
        cameMomentum ??= accelerator.LoadStreamKernel<ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape>(FactoredPasses.CameMomentum<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, FactoredViews, MatrixShape, float, float, uint> ConfidenceStepKernel =>
        confidenceStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<float>, FactoredViews, MatrixShape, float, float, uint>(FactoredPasses.ConfidenceStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, GpuScalar, MatrixShape, uint> FactoredAdafactorStepKernel =>
        factoredAdafactorStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, FactoredViews, GpuScalar, ArrayView<float>, EmaWeights, GpuScalar, MatrixShape, uint>(FactoredPasses.AdafactorStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<double>> CountUnusableKernel =>
        countUnusable ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<double>>(FlatPasses.GroupSums<TElement, TCodec, UnusableTerm>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<double>> SumOfSquaresKernel =>
        sumOfSquares ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<double>>(FlatPasses.GroupSums<TElement, TCodec, SquareTerm>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, EmaWeights, float, ArrayView<double>> SecondMomentKernel =>
        secondMoment ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<float>, EmaWeights, float, ArrayView<double>>(FlatPasses.SecondMoment<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights, float, float, int, uint> MomentumStepKernel =>
        momentumStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights, float, float, int, uint>(FlatPasses.MomentumStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights, GpuScalar, uint> AdafactorStepKernel =>
        adafactorStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, GpuScalar, ArrayView<float>, EmaWeights, GpuScalar, uint>(FlatPasses.AdafactorStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, FlatPasses.AdamWConstants, uint> AdamWStepKernel =>
        adamWStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, FlatPasses.AdamWConstants, uint>(FlatPasses.AdamWStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, EmaWeights, EmaWeights, LambDirection, ArrayView<double>> LambMomentsKernel =>
        lambMoments ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, EmaWeights, EmaWeights, LambDirection, ArrayView<double>>(FlatPasses.LambMoments<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<float>, ArrayView<float>, LambDirection, GpuScalar, uint> LambStepKernel =>
        lambStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<float>, ArrayView<float>, LambDirection, GpuScalar, uint>(FlatPasses.LambStep<TElement, TCodec>);

    public override void SquareMeans(KernelConfig config, GpuTensor g, FactoredViews v, ArrayView<float> rowWeights, ArrayView<float> sums,
        ArrayView<float> weighted, MatrixShape s, float eps1, EmaWeights ema) =>
        SquareMeansKernel(
            config, g.As<TElement>(), v, rowWeights, sums, weighted, s, eps1, ema);

    public override void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, ArrayView<float> m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s) =>
        CameMomentumKernel(
            config, g.As<TElement>(), v, clip, m, beta1, eps2, instability, sums, s);

    public override void ConfidenceStep(KernelConfig config, GpuTensor p, ArrayView<float> m, FactoredViews instability, MatrixShape s,
        float decay, float alpha) =>
        ConfidenceStepKernel(config, p.As<TElement>(), m, instability, s, decay, alpha, p.RoundingKey);

    public override void FactoredAdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, FactoredViews v, GpuScalar scale,
        ArrayView<float> m, EmaWeights beta1, GpuScalar decay, MatrixShape s) =>
        FactoredAdafactorStepKernel(
            config, p.As<TElement>(), g.As<TElement>(), v, scale, m, beta1, decay, s, p.RoundingKey);

    public override void CountUnusable(KernelConfig config, GpuTensor g, ArrayView<double> partials) =>
        CountUnusableKernel(
            config, g.As<TElement>(), partials);

    public override void SumOfSquares(KernelConfig config, GpuTensor x, ArrayView<double> partials) =>
        SumOfSquaresKernel(
            config, x.As<TElement>(), partials);

    public override void SecondMoment(KernelConfig config, GpuTensor g, ArrayView<float> v, EmaWeights beta2, float eps1,
        ArrayView<double> partials) =>
        SecondMomentKernel(config, g.As<TElement>(), v, beta2, eps1, partials);

    public override void MomentumStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar clip, ArrayView<float> m,
        EmaWeights beta1, float decay, float alpha, int move) =>
        MomentumStepKernel(
            config, p.As<TElement>(), g.As<TElement>(), v, clip, m, beta1, decay, alpha, move, p.RoundingKey);

    public override void AdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar scale, ArrayView<float> m,
        EmaWeights beta1, GpuScalar decay) =>
        AdafactorStepKernel(config, p.As<TElement>(), g.As<TElement>(), v, scale, m, beta1,
            decay, p.RoundingKey);

    public override void AdamWStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> m, ArrayView<float> v,
        FlatPasses.AdamWConstants constants) =>
        AdamWStepKernel(config, p.As<TElement>(), g.As<TElement>(), m, v, constants,
            p.RoundingKey);

    public override void LambMoments(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> m, ArrayView<float> v, EmaWeights beta1,
        EmaWeights beta2, LambDirection direction, ArrayView<double> partials) =>
        LambMomentsKernel(
            config, p.As<TElement>(), g.As<TElement>(), m, v, beta1, beta2, direction, partials);

    public override void LambStep(KernelConfig config, GpuTensor p, ArrayView<float> m, ArrayView<float> v, LambDirection direction,
        GpuScalar scale) =>
        LambStepKernel(config, p.As<TElement>(), m, v, direction, scale, p.RoundingKey);
}
