namespace CameSharp.Cli.Models;

/// <summary>The size of a model: vocabulary, context length, width, depth and attention heads.</summary>
internal sealed record ModelConfig(int Vocab, int Context, int Dim, int Layers, int Heads)
{
    public void Validate()
    {
        if (Context < 2) throw new UsageException($"--context must be at least 2; got {Context}.");
        if (Dim < 8) throw new UsageException($"--dim must be at least 8; got {Dim}.");
        if (Layers < 1) throw new UsageException($"--layers must be at least 1; got {Layers}.");
        if (Heads < 1 || Dim % Heads != 0) throw new UsageException($"--heads must divide --dim ({Dim}); got {Heads}.");
    }
}
