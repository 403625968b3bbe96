namespace CameSharp;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, 2019) exactly as torch.optim.AdamW; the algorithm is <see cref="AdamWRule"/>:
/// decoupled decay, bias correction, ε outside the square root. One fused pass; 8 bytes of state per parameter element.
/// </summary>
public sealed class AdamW : Optimizer<AdamWOptions>
{
    /// <summary>Creates AdamW over <paramref name="parameters"/>, all with <paramref name="options"/>.</summary>
    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions options)
        : this([new ParamGroup<AdamWOptions>(parameters, options)])
    {
    }

    /// <summary>Creates AdamW over several param groups, each with its own options.</summary>
    public AdamW(IEnumerable<ParamGroup<AdamWOptions>> paramGroups) : base(paramGroups, new AdamWRule())
    {
    }
}
