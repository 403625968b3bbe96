using System.Numerics;
using System.Runtime.CompilerServices;

namespace CameSharp.Kernels;

/// <summary>
/// LAMB's direction r = m · c1 / (√(v · c2) + ε) + λ·p (<see cref="LambDirection"/>), with its constants broadcast once,
/// so that <see cref="LambMoments"/> and <see cref="LambStep"/> form r in the same float operations.
/// </summary>
internal readonly struct LambDirectionFormula(LambDirection direction)
{
    private readonly Vector<float> correction1 = new(direction.Correction1);
    private readonly Vector<float> correction2 = new(direction.Correction2);
    private readonly Vector<float> eps = new(direction.Eps);
    private readonly Vector<float> weightDecay = new(direction.WeightDecay);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<float> Of(Vector<float> m, Vector<float> v, Vector<float> p) =>
        m * correction1 / (Vector.SquareRoot(v * correction2) + eps) + weightDecay * p;
}
