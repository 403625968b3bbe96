namespace CameSharp.TorchSharp;

/// <summary>Options that carry (β1, β2) as a scheduler that cycles momentum sees them.</summary>
internal interface IBetasOptions
{
    (double, double) Betas { get; set; }
}
