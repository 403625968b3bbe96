using System.Numerics.Tensors;

namespace CameSharp.Kernels;

/// <summary>
/// The CPU backend: the update rules' passes as fused SIMD loops over <see cref="Memory{T}"/> (managed arrays, or native
/// memory such as a tensor's own storage), run on up to <see cref="DegreeOfParallelism"/> threads. Work is cut into
/// chunks fixed by the tensor's shape and reductions are added in a fixed order, so every result is bitwise the same
/// whatever the thread count. Scalars are doubles on the host. A pass allocates nothing once
/// <see cref="Reserve"/> has seen the tensor's shape.
/// </summary>
public sealed class CpuKernels : IKernels<Memory<float>, double>, IDisposable
{
    private readonly KernelRunner runner;
    private readonly KernelWorkspace workspace = new();
    private readonly GradientScan scan = new();
    private readonly FactoredSquareMeans factoredSquareMeans = new();
    private readonly FullSecondMoment fullSecondMoment = new();
    private readonly CameMomentum cameMomentum = new();
    private readonly ConfidenceStep confidenceStep = new();
    private readonly MomentumStep momentumStep = new();
    private readonly FactoredAdafactorStep factoredAdafactorStep = new();
    private readonly AdafactorStep adafactorStep = new();
    private readonly AdamWStep adamWStep = new();
    private readonly LambMoments lambMoments = new();
    private readonly LambStep lambStep = new();

    /// <summary>Creates the backend with <see cref="Environment.ProcessorCount"/> threads.</summary>
    public CpuKernels() => runner = new KernelRunner(Environment.ProcessorCount);

    /// <summary>Threads a pass may use, the caller's included. Default: the processor count; in [1, ∞).</summary>
    public int DegreeOfParallelism
    {
        get => runner.DegreeOfParallelism;
        set => runner.DegreeOfParallelism = value;
    }

    /// <summary>Bytes of scratch shared by all tensors (column partial sums and the like).</summary>
    public long WorkspaceBytes => workspace.Bytes;

    /// <inheritdoc/>
    public void Reserve(ReadOnlySpan<int> shape) => workspace.Reserve(shape);

    /// <inheritdoc/>
    /// <remarks>Scalars are host doubles, owned by the caller: nothing to recycle.</remarks>
    public void BeginStep()
    {
    }

    /// <inheritdoc/>
    public double IsUsable(Memory<float> gradient) => scan.IsUsable(runner, workspace, gradient) ? 1 : 0;

    /// <inheritdoc/>
    public double FactoredSquareMeans(Memory<float> gradient, Factored<Memory<float>> v, float eps1, double beta2) =>
        factoredSquareMeans.Execute(runner, workspace, gradient, eps1, beta2, new FactoredMoment(v));

    /// <inheritdoc/>
    public double MeansAreFinite(Factored<Memory<float>> x) => new FactoredMoment(x).MeansAreFinite() ? 1 : 0;

    /// <inheritdoc/>
    public int FirstRefused(ReadOnlySpan<double> verdicts)
    {
        for (int i = 0; i < verdicts.Length; i++)
            if (verdicts[i] == 0) return i;
        return -1;
    }

    /// <inheritdoc/>
    public void CommitFactored(Factored<Memory<float>> x, double beta) => new FactoredMoment(x).Commit(beta);

    /// <inheritdoc/>
    public double SecondMoment(Memory<float> gradient, Memory<float> v, double beta2, float eps1) =>
        fullSecondMoment.Execute(runner, workspace, gradient, v, beta2, eps1);

    /// <inheritdoc/>
    public double ClipScale(double updateSquares, long count, double threshold) =>
        1.0 / Math.Max(1.0, Math.Sqrt(updateSquares / count) / threshold);

    /// <inheritdoc/>
    public void CameMomentum(Memory<float> gradient, Factored<Memory<float>> v, double clip, Moment<Memory<float>> m, double beta1, float eps2,
        Factored<Memory<float>> instability) =>
        cameMomentum.Execute(runner, workspace, gradient, new FactoredMoment(v), (float)clip, m, beta1, eps2, new FactoredMoment(instability));

    /// <inheritdoc/>
    public void ConfidenceStep(Memory<float> parameter, Moment<Memory<float>> m, Factored<Memory<float>> instability, float lr, float weightDecay,
        float stepSize) =>
        confidenceStep.Execute(runner, parameter, m, new FactoredMoment(instability), lr, weightDecay, stepSize);

    /// <inheritdoc/>
    public void MomentumStep(Memory<float> parameter, Memory<float> gradient, Memory<float> v, double clip, Moment<Memory<float>> m, double beta1,
        float lr, float weightDecay, float stepSize, bool moveParameters) =>
        momentumStep.Execute(runner, parameter, gradient, v, (float)clip, m, beta1, lr, weightDecay, stepSize, moveParameters);

    /// <inheritdoc/>
    public void AdafactorStep(Memory<float> parameter, Memory<float> gradient, Factored<Memory<float>> v, double scale, bool momentum,
        Moment<Memory<float>> m, double beta1, double decay) =>
        factoredAdafactorStep.Execute(runner, parameter, gradient, new FactoredMoment(v), (float)scale, momentum ? m : default, beta1,
            (float)decay);

    /// <inheritdoc/>
    public void AdafactorStep(Memory<float> parameter, Memory<float> gradient, Memory<float> v, double scale, bool momentum,
        Moment<Memory<float>> m, double beta1, double decay) =>
        adafactorStep.Execute(runner, parameter, gradient, v, (float)scale, momentum ? m : default, beta1, (float)decay);

    /// <inheritdoc/>
    public double Rms(Memory<float> x) => TensorPrimitives.Norm(x.Span) / Math.Sqrt(x.Length);

    /// <inheritdoc/>
    public double Scalar(double value) => value;

    /// <inheritdoc/>
    public double Multiply(double a, double b) => a * b;

    /// <inheritdoc/>
    public double Max(double a, double b) => Math.Max(a, b);

    /// <inheritdoc/>
    public void AdamWStep(Memory<float> parameter, Memory<float> gradient, Moment<Memory<float>> m, Moment<Memory<float>> v, float decayFactor, double beta1,
        double beta2, float stepSize, float correction2Sqrt, float eps, bool moveParameters) =>
        adamWStep.Execute(runner, parameter, gradient, m, v, decayFactor, beta1, beta2, stepSize, correction2Sqrt, eps, moveParameters);

    /// <inheritdoc/>
    public (double UpdateSquares, double ParameterSquares) LambMoments(Memory<float> parameter, Memory<float> gradient, Moment<Memory<float>> m,
        Moment<Memory<float>> v, double beta1, double beta2, LambDirection direction) =>
        lambMoments.Execute(runner, workspace, parameter, gradient, m, v, beta1, beta2, direction);

    /// <inheritdoc/>
    public double TrustRatio(double parameterSquares, double updateSquares) =>
        Lamb.TrustRatio(Math.Sqrt(parameterSquares), Math.Sqrt(updateSquares));

    /// <inheritdoc/>
    public void LambStep(Memory<float> parameter, Moment<Memory<float>> m, Moment<Memory<float>> v, LambDirection direction, double lr, double trust) =>
        lambStep.Execute(runner, parameter, m, v, direction, (float)(lr * trust));

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => runner.Dispose();
}
