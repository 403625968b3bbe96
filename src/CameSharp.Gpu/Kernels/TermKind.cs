namespace CameSharp.Gpu.Kernels;

/// <summary>What a <see cref="ScalarTerm"/> computes from its device values.</summary>
internal enum TermKind
{
    /// <summary>The term is 1: the scalar is its host factor alone.</summary>
    One,

    /// <summary>X · A: a device value (a sum, a verdict) times a host prescale.</summary>
    Value,

    /// <summary>The RMS clip 1 / max(1, √(X · A / B) / C): A a prescale, B the element count, C the threshold d.</summary>
    Clip,

    /// <summary>RMS √X / √A from the sum of squares X over A elements.</summary>
    Rms,

    /// <summary>LAMB's trust ratio √X / √Y (X = Σθ², Y = Σr²), 1 where either is 0.</summary>
    Trust,
}
