namespace CameSharp.Checkpoints;

/// <summary>
/// One state tensor of a parameter, under its state name (exp_avg, exp_avg_sq_row, exp_avg_codes, ...): the data to
/// save, or when loading, the memory the file's tensor is read into, which must hold exactly the elements of
/// <paramref name="Shape"/>. A float32 tensor is F32 in the file; 8-bit codes are U8, one byte an element.
/// </summary>
/// <param name="Name">The state's name; the file names the tensor "{parameter key}.{Name}".</param>
/// <param name="Shape">The tensor's dimensions; a load refuses a file whose tensor has any other shape.</param>
/// <param name="Data">The elements, row-major; for codes, packed four to a float (at least a quarter of the elements, rounded up).</param>
/// <param name="Encoding">How the elements are stored: float32, or one byte of a <see cref="Blockwise8Bit"/> code each.</param>
public readonly record struct CheckpointTensor(string Name, int[] Shape, Memory<float> Data, StateEncoding Encoding = StateEncoding.Float32)
{
    /// <summary>True for 8-bit codes (U8 in the file).</summary>
    public bool IsCodes => Encoding != StateEncoding.Float32;
}
