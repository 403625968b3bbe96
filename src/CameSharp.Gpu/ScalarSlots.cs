using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu;

/// <summary>
/// Device slots (doubles) for the scalars a step computes: handed out in order, recycled at the start of each step, and
/// held in fixed-size buffers added only when a step needs more slots than any step before it, so that steps after the
/// first allocate nothing and no view handed out moves.
/// </summary>
internal sealed class ScalarSlots(Accelerator accelerator) : IDisposable
{
    /// <summary>Slots a buffer holds: enough for a few hundred tensors, so that one host read serves a step.</summary>
    private const int BufferSlots = 1024;

    private readonly List<MemoryBuffer1D<double, Stride1D.Dense>> buffers = [];
    private readonly List<double[]> hostCopies = [];
    private int next;

    /// <summary>Makes every slot free again.</summary>
    public void Recycle() => next = 0;

    /// <summary>A free slot and its number.</summary>
    public (ArrayView<double> View, int Number) Take()
    {
        int buffer = next / BufferSlots;
        if (buffer == buffers.Count)
        {
            buffers.Add(accelerator.Allocate1D<double>(BufferSlots));
            hostCopies.Add(new double[BufferSlots]);
        }
        int number = next++;
        return (buffers[buffer].View.SubView(number % BufferSlots, 1), number);
    }

    /// <summary>
    /// Copies the slots in use to the host, after one wait for the accelerator, and returns a reader of slot values. The
    /// copies find the stream idle, so the wait is the only one.
    /// </summary>
    public Func<int, double> ReadInUse()
    {
        accelerator.Synchronize();
        int used = (next + BufferSlots - 1) / BufferSlots;
        for (int b = 0; b < used; b++)
            buffers[b].View.CopyToCPU(hostCopies[b]);
        return number => hostCopies[number / BufferSlots][number % BufferSlots];
    }

    public void Dispose()
    {
        foreach (var b in buffers) b.Dispose();
        buffers.Clear();
    }
}
