namespace CameSharp.Checkpoints;

/// <summary>
/// One float32 state tensor of a parameter, under its state name (exp_avg, exp_avg_sq_row, ...): the data to save, or
/// when loading, the memory the file's tensor is read into, which must hold exactly the elements of <paramref name="Shape"/>.
/// </summary>
/// <param name="Name">The state's name; the file names the tensor "{parameter key}.{Name}".</param>
/// <param name="Shape">The tensor's dimensions; a load refuses a file whose tensor has any other shape.</param>
/// <param name="Data">The elements, row-major.</param>
public readonly record struct CheckpointTensor(string Name, int[] Shape, Memory<float> Data);
