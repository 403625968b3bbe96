namespace CameSharp.Kernels;

/// <summary>The last pass of Adafactor or CAME over an unfactored tensor, after <see cref="FullSecondMomentJob"/>.</summary>
internal sealed class UnfactoredApplyJob : FlatJob
{
    private Memory<float> param, grad;
    private Memory<float> secondMoment;
    private Memory<float> expAvg;
    private bool came, moveParameters;
    private double beta1;
    private float clip, lr, decay;

    /// <summary>
    /// CAME: m ← β1·m + (1 − β1)·clip·g·rsqrt(v), v the full second moment; p ← p − η·λ·p − α·m, α being η times any bias correction. Without
    /// <paramref name="moveParameters"/> (η = 0), m alone is written.
    /// </summary>
    public void ExecuteCame(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> v,
        float clipScale, Memory<float> momentum, double b1, float learningRate, float weightDecay, float stepSize, bool moveParameters)
    {
        Set(parameter, gradient, v, clipScale, momentum, b1, learningRate, weightDecay, came: true);
        lr = stepSize;
        this.moveParameters = moveParameters;
        Execute(runner, parameter.Length);
    }

    /// <summary>Adafactor: u = scale·g·rsqrt(v) (scale = η·clip), optional momentum on u; p ← p − decay·p − u (decay = η·λ).</summary>
    public void ExecuteAdafactor(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, Memory<float> v,
        float updateScale, Memory<float> momentum, double b1, float weightDecay)
    {
        Set(parameter, gradient, v, updateScale, momentum, b1, 1, weightDecay, came: false);
        Execute(runner, parameter.Length);
    }

    private void Set(Memory<float> parameter, Memory<float> gradient, Memory<float> v, float clipScale,
        Memory<float> momentum, double b1, float learningRate, float weightDecay, bool came)
    {
        param = parameter;
        grad = gradient;
        secondMoment = v;
        clip = clipScale;
        expAvg = momentum;
        beta1 = b1;
        lr = learningRate;
        decay = -learningRate * weightDecay;
        this.came = came;
    }

    protected override void ProcessRange(int chunk, int start, int count)
    {
        Span<float> p = param.Span.Slice(start, count);
        ReadOnlySpan<float> g = grad.Span.Slice(start, count);
        ReadOnlySpan<float> v = secondMoment.Span.Slice(start, count);
        Span<float> m = expAvg.IsEmpty ? default : expAvg.Span.Slice(start, count);
        if (came)
            ElementwiseUpdate.CameUnfactored(p, g, v, clip, m, beta1, lr, decay, moveParameters);
        else
            ElementwiseUpdate.Adafactor<RsqrtOf>(p, g, v, clip, m, !expAvg.IsEmpty, beta1, decay);
    }
}
