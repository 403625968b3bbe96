namespace CameSharp.Checkpoints;

/// <summary>
/// A checkpoint could not be loaded: it is truncated, corrupted (its checksum does not match), not a CameSharp
/// optimizer checkpoint, or written for a different optimizer, parameters or shapes. The optimizer that tried
/// to load it is left exactly as it was.
/// </summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception with a message that says what is wrong and where.</summary>
    public CheckpointException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
