using System.Numerics;
using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

public sealed class TailLanesTests
{
    /// <summary>
    /// A loop's last, partial vector goes through the same element formula as its body: inputs that repeat with the
    /// vector width give outputs that repeat too, tail included, bitwise, through every flat pass.
    /// </summary>
    [Fact]
    public void Tail_elements_are_computed_as_body_elements()
    {
        int width = Vector<float>.Count, n = 3 * width - 1;
        var rng = new Random(11);
        float[] p = Periodic(n, width, () => (float)(rng.NextDouble() - 0.5));
        float[] g = Periodic(n, width, () => (float)(rng.NextDouble() - 0.5) * 1e-2f);
        float[] m = Periodic(n, width, () => (float)(rng.NextDouble() - 0.5) * 1e-3f);
        float[] v = Periodic(n, width, () => (float)rng.NextDouble() * 1e-4f + 1e-6f);
        using var kernels = new CpuKernels { DegreeOfParallelism = 1 };
        kernels.Reserve([n]);

        kernels.SecondMoment(g, v, 0.999, 1e-30f);
        var mm = Moment<Memory<float>>.Float32(m);
        var vm = Moment<Memory<float>>.Float32(v);
        kernels.MomentumStep(p, g, v, 0.7, mm, 0.9, 1e-3f, 1e-2f, 1e-3f, moveParameters: true);
        kernels.AdafactorStep(p, g, v, 1e-3, momentum: true, mm, 0.9, 1e-5);
        kernels.AdamWStep(p, g, mm, vm, 0.99f, 0.9, 0.999, 1e-3f, 0.5f, 1e-8f, moveParameters: true);
        var direction = new LambDirection(10f, 1000f, 1e-6f, 1e-2f);
        kernels.LambMoments(p, g, mm, vm, 0.9, 0.999, direction);
        kernels.LambStep(p, mm, vm, direction, 1e-3, 0.5);

        foreach (float[] x in new[] { p, m, v })
            for (int k = 2 * width; k < n; k++)
                Assert.Equal(BitConverter.SingleToInt32Bits(x[k - width]), BitConverter.SingleToInt32Bits(x[k]));
    }

    private static float[] Periodic(int length, int period, Func<float> next)
    {
        float[] first = Enumerable.Range(0, period).Select(_ => next()).ToArray();
        return Enumerable.Range(0, length).Select(k => first[k % period]).ToArray();
    }
}
