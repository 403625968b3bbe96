using CameSharp.Gpu.Kernels;

namespace CameSharp.Gpu;

/// <summary>
/// A scalar of <see cref="GpuKernels"/> that stays on the device: a host factor times at most two terms computed from
/// device slots (Σu² for the RMS clip, RMS(θ), LAMB's trust ratio ‖θ‖ / ‖r‖, a gradient's verdict). Products, maxima with
/// a host value and the clip 1 / max(1, RMS(u) / d) are folded into this description on the host, and the kernel that
/// consumes the scalar evaluates it: no launch and no host read per scalar. Only
/// <see cref="GpuKernels.FirstRefused"/> reads a scalar (a verdict) on the host.
/// </summary>
/// <remarks>
/// A scalar is valid until the next <see cref="GpuKernels.BeginStep"/> of the backend that made it, which recycles its slots.
/// </remarks>
public readonly struct GpuScalar
{
    internal GpuScalar(double factor, ScalarTerm first, ScalarTerm second, int slot)
    {
        Factor = factor;
        First = first;
        Second = second;
        Slot = slot;
    }

    /// <summary>The host factor.</summary>
    internal double Factor { get; }

    internal ScalarTerm First { get; }

    internal ScalarTerm Second { get; }

    /// <summary>The backend's number of the slot a verdict lives in, for <see cref="GpuKernels.FirstRefused"/>; −1 for other scalars.</summary>
    internal int Slot { get; }

    /// <summary>True when the value is known on the host: the factor alone.</summary>
    internal bool IsHostValue => First.IsOne && Second.IsOne;

    internal int TermCount => (First.IsOne ? 0 : 1) + (Second.IsOne ? 0 : 1);

    internal static GpuScalar Host(double value) => new(value, ScalarTerm.One, ScalarTerm.One, -1);

    internal static GpuScalar Of(ScalarTerm term, int slot = -1) => new(1.0, term, ScalarTerm.One, slot);

    /// <summary>The value, in a kernel: factor · first · second, in double.</summary>
    internal double Evaluate() => Factor * First.Evaluate() * Second.Evaluate();
}
