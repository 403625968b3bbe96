namespace CameSharp.Tests;

public class StateMemoryTests
{
    [Fact]
    public void Large_state_tensors_are_zeroed_and_staggered_from_their_parameter_and_each_other()
    {
        int n = StateMemory.MinStaggeredFloats + 5;
        var p = new Parameter("w", new float[n]);
        var allocate = StateMemory.For(p);
        var m = allocate("exp_avg", [n]);
        var v = allocate("exp_avg_sq", [n]);

        Assert.Equal(n, m.Length);
        Assert.Equal(n, v.Length);
        Assert.True(m.Span.IndexOfAnyExcept(0f) < 0 && v.Span.IndexOfAnyExcept(0f) < 0);
        long Phase(Memory<float> x) => StateMemory.AddressOf(x) & 4095;
        long[] phases = [Phase(p.Data), Phase(m), Phase(v)];
        Assert.Equal(3, phases.Distinct().Count());
        // Each tensor sits its own stride past the parameter, within the window.
        Assert.Equal(StateMemory.StrideBytes % StateMemory.WindowBytes,
            (StateMemory.AddressOf(m) - StateMemory.AddressOf(p.Data)) & (StateMemory.WindowBytes - 1));
        Assert.Equal(2 * StateMemory.StrideBytes % StateMemory.WindowBytes,
            (StateMemory.AddressOf(v) - StateMemory.AddressOf(p.Data)) & (StateMemory.WindowBytes - 1));
    }

    [Fact]
    public void Small_state_tensors_are_plain_arrays()
    {
        var p = new Parameter("b", new float[10]);
        var m = StateMemory.For(p)("exp_avg", [2, 5]);
        Assert.Equal(10, m.Length);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<float>(m, out var segment));
        Assert.Equal((0, 10), (segment.Offset, segment.Array!.Length));
    }
}
