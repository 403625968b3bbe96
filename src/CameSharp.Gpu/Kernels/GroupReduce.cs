using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// Sums across one thread group (of a power-of-two size) in a fixed tree over shared memory of one element a thread: the
/// same inputs and group size give bitwise the same sum on every run and every accelerator, which a floating-point atomic
/// would not.
/// </summary>
internal static class GroupReduce
{

    /// <summary>Every thread gets the group's sum of <paramref name="value"/>, added in double; all threads of the group must call it.</summary>
    public static float Sum(float value, ArrayView<double> shared) => (float)Sum((double)value, shared);

    /// <summary>Every thread gets the group's sum of <paramref name="value"/>; all threads of the group must call it.</summary>
    public static double Sum(double value, ArrayView<double> shared)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (t < half) shared[t] += shared[t + half];
            Group.Barrier();
        }
        double total = shared[0];
        Group.Barrier();
        return total;
    }

    /// <summary>Every thread gets the group's largest <paramref name="value"/> (exact in any order); all threads of the group must call it.</summary>
    public static float Max(float value, ArrayView<double> shared)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half >>= 1)
        {
            if (t < half) shared[t] = Math.Max(shared[t], shared[t + half]);
            Group.Barrier();
        }
        float largest = (float)shared[0];
        Group.Barrier();
        return largest;
    }

    /// <summary>Finite in float32: neither NaN nor infinite.</summary>
    public static bool IsFinite(float x) => !float.IsNaN(x) && !float.IsInfinity(x);
}
