using TorchSharp;
using static TorchSharp.torch;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>
/// The torch-op backend: the update rules' passes in torch ops, on any device and with scalars kept on the device as
/// 0-d tensors, for parameters no kernel covers. Math is float32 (the caller converts other dtypes). Temporaries are
/// left to the caller's dispose scope.
/// </summary>
internal sealed class TorchKernels : Engine.IKernels<Tensor, Tensor>
{
    public void Reserve(ReadOnlySpan<int> shape)
    {
    }

    /// <remarks>Scalars are 0-d tensors that the step's dispose scope releases: nothing to recycle.</remarks>
    public void BeginStep()
    {
    }

    public Tensor IsUsable(Tensor gradient) =>
        // Two read-only reductions rather than abs() (a full-size temporary): max and min propagate NaN.
        torch.maximum(gradient.max(), gradient.min().neg()).square().isfinite();

    public Tensor FactoredSquareMeans(Tensor gradient, Engine.Factored<Tensor> v, float eps1, double beta2)
    {
        var squares = gradient.square();
        var x = squares.add(eps1);
        v.RowFactor.copy_(x.mean([-1L]));
        v.ColFactor.copy_(x.mean([-2L]));
        // Σ g² / v̂ with v̂_ij = r_i c_j / mean(r), r and c the EMAs as the commit will form them.
        var r = Ema(v.Row.clone(), v.RowFactor, beta2);
        var c = Ema(v.Col.clone(), v.ColFactor, beta2);
        return squares.div_(r.unsqueeze(-1)).div_(c.unsqueeze(-2)).sum([-2L, -1L]).mul_(r.mean([-1L])).sum();
    }

    public Tensor MeansAreFinite(Engine.Factored<Tensor> x) => torch.isfinite(x.RowFactor).all().logical_and(torch.isfinite(x.ColFactor).all());

    public int FirstRefused(ReadOnlySpan<Tensor> verdicts)
    {
        if (verdicts.IsEmpty) return -1;
        // Gathered on one device and read once: one wait for the whole step, not one a tensor.
        var device = verdicts[0].device;
        using var all = torch.stack(verdicts.ToArray().Select(v => v.to(device)).ToArray());
        return all.all().item<bool>() ? -1 : (int)all.logical_not().to(ScalarType.Int32).argmax().item<long>();
    }

    public void CommitFactored(Engine.Factored<Tensor> x, double beta)
    {
        Ema(x.Row, x.RowFactor, beta);
        Ema(x.Col, x.ColFactor, beta);
        x.RowFactor.copy_(x.Row.div(x.Row.mean([-1L], keepdim: true)).rsqrt_());
        x.ColFactor.copy_(x.Col.rsqrt());
    }

    public Tensor SecondMoment(Tensor gradient, Tensor v, double beta2, float eps1)
    {
        Ema(v, gradient.square().add_(eps1), beta2);
        return v.rsqrt().mul_(gradient).pow_(2).sum();
    }

    public Tensor ClipScale(Tensor updateSquares, long count, double threshold) =>
        updateSquares.div(count).sqrt_().div_(threshold).clamp_min_(1.0).reciprocal_();

    public void CameMomentum(Tensor gradient, Engine.Factored<Tensor> v, Tensor clip, Engine.Moment<Tensor> momentum, double beta1, float eps2,
        Engine.Factored<Tensor> instability)
    {
        long cols = v.Shape[^1];
        var m = Values(momentum, cols);
        var u = TimesRsqrt(v, gradient).mul_(clip);
        Ema(m, u, beta1);
        Store(m, momentum, cols);
        var x = u.sub_(m).pow_(2).add_(eps2);
        instability.RowFactor.copy_(x.mean([-1L]));
        instability.ColFactor.copy_(x.mean([-2L]));
    }

    public void ConfidenceStep(Tensor parameter, Engine.Moment<Tensor> momentum, Engine.Factored<Tensor> instability, float lr, float weightDecay,
        float stepSize)
    {
        var m = Values(momentum, instability.Shape[^1]);
        if (weightDecay != 0) parameter.add_(parameter, alpha: -(double)lr * weightDecay);
        parameter.add_(TimesRsqrt(instability, m), alpha: -stepSize);
    }

    public void MomentumStep(Tensor parameter, Tensor gradient, Tensor v, Tensor clip, Engine.Moment<Tensor> momentum, double beta1, float lr,
        float weightDecay, float stepSize, bool moveParameters)
    {
        var m = Values(momentum, v.NumberOfElements);
        Ema(m, v.rsqrt().mul_(gradient).mul_(clip), beta1);
        Store(m, momentum, v.NumberOfElements);
        if (!moveParameters) return;
        if (weightDecay != 0) parameter.add_(parameter, alpha: -(double)lr * weightDecay);
        parameter.add_(m, alpha: -stepSize);
    }

    public void AdafactorStep(Tensor parameter, Tensor gradient, Engine.Factored<Tensor> v, Tensor scale, bool momentum, Engine.Moment<Tensor> m,
        double beta1, Tensor decay) =>
        Adafactor(parameter, TimesRsqrt(v, gradient).mul_(scale), momentum, m, v.Shape[^1], beta1, decay);

    public void AdafactorStep(Tensor parameter, Tensor gradient, Tensor v, Tensor scale, bool momentum, Engine.Moment<Tensor> m, double beta1,
        Tensor decay) =>
        Adafactor(parameter, v.rsqrt().mul_(gradient).mul_(scale), momentum, m, v.NumberOfElements, beta1, decay);

    private static void Adafactor(Tensor parameter, Tensor u, bool momentum, Engine.Moment<Tensor> moment, long rowLength, double beta1, Tensor decay)
    {
        if (momentum)
        {
            var m = Values(moment, rowLength);
            u = Ema(m, u, beta1);
            Store(m, moment, rowLength);
        }
        parameter.sub_(parameter.mul(decay)).sub_(u);
    }

    public Tensor Rms(Tensor x) => x.square().mean().sqrt_();

    public Tensor Scalar(double value) => torch.tensor(value);

    public Tensor Multiply(Tensor a, Tensor b) => a.mul(b);

    public Tensor Max(Tensor a, double b) => a.clamp_min(b);

    public void AdamWStep(Tensor parameter, Tensor gradient, Engine.Moment<Tensor> first, Engine.Moment<Tensor> second, float decayFactor,
        double beta1, double beta2, float stepSize, float correction2Sqrt, float eps, bool moveParameters)
    {
        long n = gradient.NumberOfElements;
        Tensor m = Values(first, n), v = Values(second, n);
        m.add_(gradient.sub(m), alpha: 1 - beta1);
        v.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
        Store(m, first, n);
        Store(v, second, n);
        if (!moveParameters) return;
        parameter.mul_(decayFactor).addcdiv_(m, v.sqrt().div_(correction2Sqrt).add_(eps), value: -stepSize);
    }

    public (Tensor UpdateSquares, Tensor ParameterSquares) LambMoments(Tensor parameter, Tensor gradient, Engine.Moment<Tensor> first,
        Engine.Moment<Tensor> second, double beta1, double beta2, Engine.LambDirection direction)
    {
        long n = gradient.NumberOfElements;
        Tensor m = Values(first, n), v = Values(second, n);
        Ema(m, gradient, beta1);
        v.mul_(beta2).addcmul_(gradient, gradient, value: 1 - beta2);
        Store(m, first, n);
        Store(v, second, n);
        return (Direction(parameter, m, v, direction).pow_(2).sum(), parameter.square().sum());
    }

    public Tensor TrustRatio(Tensor parameterSquares, Tensor updateSquares) =>
        torch.where(parameterSquares.gt(0).logical_and_(updateSquares.gt(0)), parameterSquares.sqrt().div_(updateSquares.sqrt()), 1.0);

    public void LambStep(Tensor parameter, Engine.Moment<Tensor> m, Engine.Moment<Tensor> v, Engine.LambDirection direction, double lr,
        Tensor trust) =>
        parameter.sub_(Direction(parameter, Values(m, parameter.NumberOfElements), Values(v, parameter.NumberOfElements), direction)
            .mul_(trust.mul(lr)));

    /// <summary>
    /// A full-size state's float32 values: the tensor itself, updated in place, or for 8-bit state a decoded temporary,
    /// which <see cref="Store"/> encodes back (blocks restarting every <paramref name="rowLength"/> elements).
    /// </summary>
    private static Tensor Values(Engine.Moment<Tensor> moment, long rowLength) =>
        moment.IsQuantized ? TorchBlockwise8Bit.Decode(moment, rowLength) : moment.Data;

    /// <summary>Encodes updated <paramref name="values"/> into an 8-bit state; a float32 one was updated in place.</summary>
    private static void Store(Tensor values, Engine.Moment<Tensor> moment, long rowLength)
    {
        if (moment.IsQuantized) TorchBlockwise8Bit.Encode(values, moment, rowLength);
    }

    /// <summary>r = m · c1 / (√(v · c2) + ε) + λ·p.</summary>
    private static Tensor Direction(Tensor parameter, Tensor m, Tensor v, Engine.LambDirection d)
    {
        var r = m.mul(d.Correction1).div_(v.mul(d.Correction2).sqrt_().add_(d.Eps));
        return d.WeightDecay != 0 ? r.add_(parameter, alpha: d.WeightDecay) : r;
    }

    /// <summary>ema ← β·ema + (1 − β)·x, in place, as the reference writes it.</summary>
    private static Tensor Ema(Tensor ema, Tensor x, double beta) => ema.mul_(beta).add_(x, alpha: 1 - beta);

    /// <summary>
    /// y / √X̂ for a committed factored statistic. The outer product of the factors is formed first and applied in one
    /// multiply: on libtorch's CPU kernels that is about 5x faster than broadcasting y by the rows and then the columns.
    /// </summary>
    private static Tensor TimesRsqrt(Engine.Factored<Tensor> x, Tensor y) =>
        x.RowFactor.unsqueeze(-1).mul(x.ColFactor.unsqueeze(-2)).mul_(y);
}
