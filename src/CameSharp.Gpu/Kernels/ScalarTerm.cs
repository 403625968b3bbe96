using ILGPU;

namespace CameSharp.Gpu.Kernels;

/// <summary>
/// One factor of a <see cref="GpuScalar"/> that depends on device values: a function (<see cref="TermKind"/>) of one or two
/// device slots with host-known constants, floored at <see cref="Floor"/>. Evaluated in double by every thread of the
/// kernel that consumes it (a few cached loads), so that the clip, the step size and the trust ratio cost no launch.
/// </summary>
internal readonly struct ScalarTerm
{
    public readonly ArrayView<double> X;
    public readonly ArrayView<double> Y;
    public readonly TermKind Kind;
    public readonly double A;
    public readonly double B;
    public readonly double C;

    /// <summary>The term's least value; −∞ when it has none.</summary>
    public readonly double Floor;

    public ScalarTerm(TermKind kind, ArrayView<double> x, ArrayView<double> y, double a, double b, double c, double floor)
    {
        Kind = kind;
        X = x;
        Y = y;
        A = a;
        B = b;
        C = c;
        Floor = floor;
    }

    public static ScalarTerm One => new(TermKind.One, default, default, 0, 0, 0, double.NegativeInfinity);

    public static ScalarTerm Value(ArrayView<double> slot, double prescale) =>
        new(TermKind.Value, slot, default, prescale, 0, 0, double.NegativeInfinity);

    public bool IsOne => Kind == TermKind.One;

    /// <summary>The same term with its floor raised to <paramref name="floor"/> (max(max(x, f1), f2) = max(x, max(f1, f2))).</summary>
    public ScalarTerm AtLeast(double floor) => new(Kind, X, Y, A, B, C, floor > Floor ? floor : Floor);

    /// <summary>The term's value; NaN stays NaN through the floor, as <see cref="Math.Max(double, double)"/> keeps it on the host.</summary>
    public double Evaluate()
    {
        double v = 1.0;
        if (Kind == TermKind.Value)
            v = X[0] * A;
        else if (Kind == TermKind.Clip)
        {
            double q = Math.Sqrt(X[0] * A / B) / C;
            v = 1.0 / (q < 1.0 ? 1.0 : q);
        }
        else if (Kind == TermKind.Rms)
            v = Math.Sqrt(X[0]) / Math.Sqrt(A);
        else if (Kind == TermKind.Trust)
            v = X[0] > 0 && Y[0] > 0 ? Math.Sqrt(X[0]) / Math.Sqrt(Y[0]) : 1.0;
        return v < Floor ? Floor : v;
    }
}
