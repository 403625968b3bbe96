namespace CameSharp;

/// <summary>
/// CAME: Confidence-guided Adaptive Memory Efficient optimization (Luo et al., ACL 2023), exact to the official
/// <c>came_pytorch</c>; the algorithm is <see cref="CameRule"/>. A tensor of two or more dimensions is factored over its
/// last two (batched over the rest): its second moment and its instability are each kept as a row and a column vector,
/// so CAME holds 4RC + 16(R + C) bytes for an R × C matrix against AdamW's 8RC (plus 16(R + C) of per-step factors). A
/// 1-D tensor keeps a full second moment and, as in the official code, skips the confidence step. No bias correction
/// unless <see cref="CameOptions.BiasCorrection"/> asks for it.
/// </summary>
public sealed class Came : Optimizer<CameOptions>
{
    /// <summary>Creates CAME over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public Came(IEnumerable<Parameter> parameters, CameOptions options)
        : this([new ParamGroup<CameOptions>(parameters, options)])
    {
    }

    /// <summary>Creates CAME over several param groups, each with its own options.</summary>
    public Came(IEnumerable<ParamGroup<CameOptions>> paramGroups) : base(paramGroups, new CameRule())
    {
    }
}
