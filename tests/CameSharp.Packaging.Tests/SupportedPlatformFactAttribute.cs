using System.Runtime.InteropServices;

namespace CameSharp.Packaging.Tests;

/// <summary>A fact that reports as skipped where libtorch-cpu, and so TorchSharp-cpu, has no build.</summary>
public sealed class SupportedPlatformFactAttribute : FactAttribute
{
    public SupportedPlatformFactAttribute()
    {
        if (!PackedFeed.Supported)
            Skip = $"libtorch-cpu has no build for {RuntimeInformation.RuntimeIdentifier} (it has {string.Join(", ", PackedFeed.Platforms)}).";
    }
}
