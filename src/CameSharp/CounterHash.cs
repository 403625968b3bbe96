namespace CameSharp;

/// <summary>
/// The counter-based random bits behind every stochastic rounding in CameSharp (bfloat16 parameters, 8-bit second
/// moments): a hash of (key, element index), with the key a hash of (seed, step, tensor). No generator state is kept,
/// so a run reproduces exactly, a resumed run continues the same sequence, and every backend computes the same bits
/// (the GPU kernels call it; the torch-op path restates it in 64-bit integer ops).
/// </summary>
public static class CounterHash
{
    /// <summary>The key of one tensor's rounding at one step.</summary>
    /// <param name="seed">The run's seed (or a constant that sets one kind of rounding apart from another).</param>
    /// <param name="step">The step being taken (1 for the first).</param>
    /// <param name="tensor">The tensor's index in its optimizer.</param>
    public static uint Key(ulong seed, long step, int tensor) =>
        Mix(Mix(Mix((uint)seed ^ Mix((uint)(seed >> 32))) ^ (uint)step ^ Mix((uint)((ulong)step >> 32))) ^ (uint)tensor);

    /// <summary>32 random bits for element <paramref name="index"/> under <paramref name="key"/>.</summary>
    public static uint Bits(uint key, long index) => Mix(key ^ unchecked((uint)index * 0x9E3779B9u));

    /// <summary>The 32-bit finaliser of MurmurHash3: every input bit affects every output bit. Plain integer arithmetic, so GPU kernels call it too.</summary>
    public static uint Mix(uint h)
    {
        unchecked
        {
            h ^= h >> 16;
            h *= 0x85EBCA6Bu;
            h ^= h >> 13;
            h *= 0xC2B2AE35u;
            h ^= h >> 16;
            return h;
        }
    }
}
