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

    public abstract void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, Float32Moment m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s);

    public abstract void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, CodedMoment m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s);

    public abstract void ConfidenceStep(KernelConfig config, GpuTensor p, Float32Moment m, FactoredViews instability, MatrixShape s,
        float decay, float alpha);

    public abstract void ConfidenceStep(KernelConfig config, GpuTensor p, CodedMoment m, FactoredViews instability, MatrixShape s,
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

    public abstract void LambStep(KernelConfig config, GpuTensor p, Float32Moment m, Float32Moment v, LambDirection direction, GpuScalar scale);

    public abstract void LambStep(KernelConfig config, GpuTensor p, CodedMoment m, CodedMoment v, LambDirection direction, GpuScalar scale);

    // The passes that write 8-bit moments (QuantizedPasses), launched with shared memory and QuantizedPasses.Groups.

    /// <summary>The codes of CAME's factored momentum, after <see cref="CameMomentum(KernelConfig, GpuTensor, FactoredViews, GpuScalar, CodedMoment, EmaWeights, float, FactoredViews, ArrayView{float}, MatrixShape)"/>.</summary>
    public abstract void CameMomentumCodes(KernelConfig config, GpuTensor g, FactoredViews v, MatrixShape s, GpuScalar clip, CodedMoment m, EmaWeights beta1);

    public abstract void MomentumStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar clip, CodedMoment m,
        EmaWeights beta1, float decay, float alpha, int move);

    public abstract void AdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar scale, CodedMoment m,
        EmaWeights beta1, GpuScalar decay);

    public abstract void FactoredAdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, FactoredViews v, GpuScalar scale, CodedMoment m,
        EmaWeights beta1, GpuScalar decay, MatrixShape s);

    public abstract void AdamWStep(KernelConfig config, GpuTensor p, GpuTensor g, CodedMoment m, CodedMoment v, FlatPasses.AdamWConstants constants);

    public abstract void LambMoments(KernelConfig config, GpuTensor p, GpuTensor g, CodedMoment m, CodedMoment v, EmaWeights beta1,
        EmaWeights beta2, LambDirection direction, ArrayView<double> partials);
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
    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, Float32Moment, EmaWeights, float, FactoredViews,
        ArrayView<float>, MatrixShape>? cameMomentum;
    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, CodedMoment, EmaWeights, float, FactoredViews,
        ArrayView<float>, MatrixShape>? codedCameMomentum;
    private Action<KernelConfig, ArrayView<TElement>, Float32Moment, FactoredViews, MatrixShape, float, float, uint>? confidenceStep;
    private Action<KernelConfig, ArrayView<TElement>, CodedMoment, FactoredViews, MatrixShape, float, float, uint>? codedConfidenceStep;
    private Action<KernelConfig, ArrayView<TElement>, CameFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float,
        float, int, uint>? cameFactoredBlocks;
    private Action<KernelConfig, ArrayView<TElement>, CameVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float,
        float, int, uint>? cameVectorBlocks;
    private Action<KernelConfig, ArrayView<TElement>, AdafactorVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar,
        float, float, int, uint>? adafactorVectorBlocks;
    private Action<KernelConfig, ArrayView<TElement>, AdafactorFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar,
        float, float, int, uint>? adafactorFactoredBlocks;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, FlatPasses.AdamWConstants, uint>? codedAdamWStep;
    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, EmaWeights, EmaWeights, LambDirection,
        ArrayView<double>>? codedLambMoments;
    private Action<KernelConfig, ArrayView<TElement>, CodedMoment, CodedMoment, LambDirection, GpuScalar, uint>? codedLambStep;
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
    private Action<KernelConfig, ArrayView<TElement>, Float32Moment, Float32Moment, LambDirection, GpuScalar, uint>? lambStep;

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
        _ = CodedCameMomentumKernel;
        _ = CodedConfidenceStepKernel;
        _ = CameFactoredBlocksKernel;
        _ = CameVectorBlocksKernel;
        _ = AdafactorVectorBlocksKernel;
        _ = AdafactorFactoredBlocksKernel;
        _ = CodedAdamWStepKernel;
        _ = CodedLambMomentsKernel;
        _ = CodedLambStepKernel;
    }

    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape, float, EmaWeights> SquareMeansKernel =>
        squareMeans ??= accelerator.LoadStreamKernel<ArrayView<TElement>, FactoredViews, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape, float, EmaWeights>(FactoredPasses.SquareMeans<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, Float32Moment, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape> CameMomentumKernel =>
        cameMomentum ??= accelerator.LoadStreamKernel<ArrayView<TElement>, FactoredViews, GpuScalar, Float32Moment, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape>(FactoredPasses.CameMomentum<TElement, TCodec, Float32Moment>);

    private Action<KernelConfig, ArrayView<TElement>, FactoredViews, GpuScalar, CodedMoment, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape> CodedCameMomentumKernel =>
        codedCameMomentum ??= accelerator.LoadStreamKernel<ArrayView<TElement>, FactoredViews, GpuScalar, CodedMoment, EmaWeights, float, FactoredViews, ArrayView<float>, MatrixShape>(FactoredPasses.CameMomentum<TElement, TCodec, CodedMoment>);

    private Action<KernelConfig, ArrayView<TElement>, Float32Moment, FactoredViews, MatrixShape, float, float, uint> ConfidenceStepKernel =>
        confidenceStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, Float32Moment, FactoredViews, MatrixShape, float, float, uint>(FactoredPasses.ConfidenceStep<TElement, TCodec, Float32Moment>);

    private Action<KernelConfig, ArrayView<TElement>, CodedMoment, FactoredViews, MatrixShape, float, float, uint> CodedConfidenceStepKernel =>
        codedConfidenceStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, CodedMoment, FactoredViews, MatrixShape, float, float, uint>(FactoredPasses.ConfidenceStep<TElement, TCodec, CodedMoment>);

    private Action<KernelConfig, ArrayView<TElement>, CameFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint> CameFactoredBlocksKernel =>
        cameFactoredBlocks ??= accelerator.LoadStreamKernel<ArrayView<TElement>, CameFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint>(QuantizedPasses.MomentumBlocks<TElement, TCodec, CameFactoredUpdate<TElement, TCodec>>);

    private Action<KernelConfig, ArrayView<TElement>, CameVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint> CameVectorBlocksKernel =>
        cameVectorBlocks ??= accelerator.LoadStreamKernel<ArrayView<TElement>, CameVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint>(QuantizedPasses.MomentumBlocks<TElement, TCodec, CameVectorUpdate<TElement, TCodec>>);

    private Action<KernelConfig, ArrayView<TElement>, AdafactorVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint> AdafactorVectorBlocksKernel =>
        adafactorVectorBlocks ??= accelerator.LoadStreamKernel<ArrayView<TElement>, AdafactorVectorUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint>(QuantizedPasses.MomentumBlocks<TElement, TCodec, AdafactorVectorUpdate<TElement, TCodec>>);

    private Action<KernelConfig, ArrayView<TElement>, AdafactorFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint> AdafactorFactoredBlocksKernel =>
        adafactorFactoredBlocks ??= accelerator.LoadStreamKernel<ArrayView<TElement>, AdafactorFactoredUpdate<TElement, TCodec>, GpuScalar, CodedMoment, EmaWeights, GpuScalar, float, float, int, uint>(QuantizedPasses.MomentumBlocks<TElement, TCodec, AdafactorFactoredUpdate<TElement, TCodec>>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, FlatPasses.AdamWConstants, uint> CodedAdamWStepKernel =>
        codedAdamWStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, FlatPasses.AdamWConstants, uint>(QuantizedPasses.AdamWStep<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, EmaWeights, EmaWeights, LambDirection, ArrayView<double>> CodedLambMomentsKernel =>
        codedLambMoments ??= accelerator.LoadStreamKernel<ArrayView<TElement>, ArrayView<TElement>, CodedMoment, CodedMoment, EmaWeights, EmaWeights, LambDirection, ArrayView<double>>(QuantizedPasses.LambMoments<TElement, TCodec>);

    private Action<KernelConfig, ArrayView<TElement>, CodedMoment, CodedMoment, LambDirection, GpuScalar, uint> CodedLambStepKernel =>
        codedLambStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, CodedMoment, CodedMoment, LambDirection, GpuScalar, uint>(FlatPasses.LambStep<TElement, TCodec, CodedMoment>);

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

    private Action<KernelConfig, ArrayView<TElement>, Float32Moment, Float32Moment, LambDirection, GpuScalar, uint> LambStepKernel =>
        lambStep ??= accelerator.LoadStreamKernel<ArrayView<TElement>, Float32Moment, Float32Moment, LambDirection, GpuScalar, uint>(FlatPasses.LambStep<TElement, TCodec, Float32Moment>);

    public override void SquareMeans(KernelConfig config, GpuTensor g, FactoredViews v, ArrayView<float> rowWeights, ArrayView<float> sums,
        ArrayView<float> weighted, MatrixShape s, float eps1, EmaWeights ema) =>
        SquareMeansKernel(
            config, g.As<TElement>(), v, rowWeights, sums, weighted, s, eps1, ema);

    public override void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, Float32Moment m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s) =>
        CameMomentumKernel(
            config, g.As<TElement>(), v, clip, m, beta1, eps2, instability, sums, s);

    public override void CameMomentum(KernelConfig config, GpuTensor g, FactoredViews v, GpuScalar clip, CodedMoment m, EmaWeights beta1,
        float eps2, FactoredViews instability, ArrayView<float> sums, MatrixShape s) =>
        CodedCameMomentumKernel(
            config, g.As<TElement>(), v, clip, m, beta1, eps2, instability, sums, s);

    public override void ConfidenceStep(KernelConfig config, GpuTensor p, Float32Moment m, FactoredViews instability, MatrixShape s,
        float decay, float alpha) =>
        ConfidenceStepKernel(config, p.As<TElement>(), m, instability, s, decay, alpha, p.RoundingKey);

    public override void ConfidenceStep(KernelConfig config, GpuTensor p, CodedMoment m, FactoredViews instability, MatrixShape s,
        float decay, float alpha) =>
        CodedConfidenceStepKernel(config, p.As<TElement>(), m, instability, s, decay, alpha, p.RoundingKey);

    public override void CameMomentumCodes(KernelConfig config, GpuTensor g, FactoredViews v, MatrixShape s, GpuScalar clip, CodedMoment m,
        EmaWeights beta1) =>
        // No parameter moves (move = 0): the gradient stands in for θ's view, which the kernel never touches.
        CameFactoredBlocksKernel(config, g.As<TElement>(), new CameFactoredUpdate<TElement, TCodec>(g.As<TElement>(), v, s), clip, m, beta1,
            GpuScalar.Host(0), 1f, 1f, 0, 0);

    public override void MomentumStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar clip, CodedMoment m,
        EmaWeights beta1, float decay, float alpha, int move) =>
        CameVectorBlocksKernel(config, p.As<TElement>(), new CameVectorUpdate<TElement, TCodec>(g.As<TElement>(), v), clip, m, beta1,
            GpuScalar.Host(decay), 1f, alpha, move, p.RoundingKey);

    public override void AdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, ArrayView<float> v, GpuScalar scale, CodedMoment m,
        EmaWeights beta1, GpuScalar decay) =>
        AdafactorVectorBlocksKernel(config, p.As<TElement>(), new AdafactorVectorUpdate<TElement, TCodec>(g.As<TElement>(), v), scale, m, beta1,
            decay, -1f, 1f, 1, p.RoundingKey);

    public override void FactoredAdafactorStep(KernelConfig config, GpuTensor p, GpuTensor g, FactoredViews v, GpuScalar scale, CodedMoment m,
        EmaWeights beta1, GpuScalar decay, MatrixShape s) =>
        AdafactorFactoredBlocksKernel(config, p.As<TElement>(), new AdafactorFactoredUpdate<TElement, TCodec>(g.As<TElement>(), v, s), scale, m,
            beta1, decay, -1f, 1f, 1, p.RoundingKey);

    public override void AdamWStep(KernelConfig config, GpuTensor p, GpuTensor g, CodedMoment m, CodedMoment v,
        FlatPasses.AdamWConstants constants) =>
        CodedAdamWStepKernel(config, p.As<TElement>(), g.As<TElement>(), m, v, constants, p.RoundingKey);

    public override void LambMoments(KernelConfig config, GpuTensor p, GpuTensor g, CodedMoment m, CodedMoment v, EmaWeights beta1,
        EmaWeights beta2, LambDirection direction, ArrayView<double> partials) =>
        CodedLambMomentsKernel(config, p.As<TElement>(), g.As<TElement>(), m, v, beta1, beta2, direction, partials);

    public override void LambStep(KernelConfig config, GpuTensor p, CodedMoment m, CodedMoment v, LambDirection direction, GpuScalar scale) =>
        CodedLambStepKernel(config, p.As<TElement>(), m, v, direction, scale, p.RoundingKey);

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

    public override void LambStep(KernelConfig config, GpuTensor p, Float32Moment m, Float32Moment v, LambDirection direction,
        GpuScalar scale) =>
        LambStepKernel(config, p.As<TElement>(), m, v, direction, scale, p.RoundingKey);
}
