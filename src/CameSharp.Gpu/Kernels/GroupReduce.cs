using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// Sums across one thread group in a fixed tree over shared memory: the same inputs give bitwise the same sum on every
/// run and every accelerator, which a floating-point atomic would not.
/// </summary>
internal static class GroupReduce
{
    /// <summary>Threads of every group this backend launches; a power of two, fixed so that results do not depend on the device.</summary>
    public const int GroupSize = 256;

    /// <summary>Every thread gets the group's sum of <paramref name="value"/>; all threads of the group must call it.</summary>
    public static float Sum(float value, ArrayView<float> shared)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half >>= 1)
        {
            if (t < half) shared[t] += shared[t + half];
            Group.Barrier();
        }
        float total = shared[0];
        // The next reduction may overwrite shared[0] only after every thread has read it.
        Group.Barrier();
        return total;
    }

    /// <inheritdoc cref="Sum(float, ArrayView{float})"/>
    public static double Sum(double value, ArrayView<double> shared)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int half = GroupSize / 2; half > 0; half >>= 1)
        {
            if (t < half) shared[t] += shared[t + half];
            Group.Barrier();
        }
        double total = shared[0];
        Group.Barrier();
        return total;
    }

    /// <summary>Finite in float32: neither NaN nor infinite.</summary>
    public static bool IsFinite(float x) => !float.IsNaN(x) && !float.IsInfinity(x);
}
