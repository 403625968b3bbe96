namespace CameSharp.Kernels;

/// <summary>The last pass of Adafactor or CAME over an unfactored tensor, after <see cref="FullSecondMomentJob"/>.</summary>
internal sealed class UnfactoredApplyJob : FlatJob
{
    private Memory<float> param, grad;
    private float[] rsqrtV = [];
    private Memory<float> expAvg;
    private bool came, moveParameters;
    private double beta1;
    private float clip, lr, decay;

    /// <summary>
    /// CAME: m ← β1·m + (1 − β1)·clip·g·rsqrt(v); p ← p − η·λ·p − α·m, α being η times any bias correction. Without
    /// <paramref name="moveParameters"/> (η = 0), m alone is written.
    /// </summary>
    public void ExecuteCame(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, float[] rsqrtSecondMoment,
        float clipScale, Memory<float> momentum, double b1, float learningRate, float weightDecay, float stepSize, bool moveParameters)
    {
        Set(parameter, gradient, rsqrtSecondMoment, clipScale, momentum, b1, learningRate, weightDecay, came: true);
        lr = stepSize;
        this.moveParameters = moveParameters;
        Execute(runner, parameter.Length);
    }

    /// <summary>Adafactor: u = η·clip·g·rsqrt(v), optional momentum on u; p ← p − η·λ·p − u.</summary>
    public void ExecuteAdafactor(KernelRunner runner, Memory<float> parameter, Memory<float> gradient, float[] rsqrtSecondMoment,
        float clipScale, Memory<float> momentum, double b1, float learningRate, float weightDecay)
    {
        Set(parameter, gradient, rsqrtSecondMoment, clipScale, momentum, b1, learningRate, weightDecay, came: false);
        Execute(runner, parameter.Length);
    }

    private void Set(Memory<float> parameter, Memory<float> gradient, float[] rsqrtSecondMoment, float clipScale,
        Memory<float> momentum, double b1, float learningRate, float weightDecay, bool came)
    {
        param = parameter;
        grad = gradient;
        rsqrtV = rsqrtSecondMoment;
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
        ReadOnlySpan<float> d = rsqrtV.AsSpan(start, count);
        Span<float> m = expAvg.IsEmpty ? default : expAvg.Span.Slice(start, count);
        if (came)
            ElementwiseUpdate.CameUnfactored(p, g, d, clip, m, beta1, lr, decay, moveParameters);
        else
            ElementwiseUpdate.Adafactor(p, g, d, clip * lr, m, !expAvg.IsEmpty, beta1, decay);
    }
}
