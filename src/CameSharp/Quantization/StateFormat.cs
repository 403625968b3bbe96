namespace CameSharp;

/// <summary>How an optimizer stores its full-size state (the moments that have one element per parameter element).</summary>
public enum StateFormat
{
    /// <summary>float32, 4 bytes an element: the reference implementations' state, bit for bit. The default.</summary>
    Float32,

    /// <summary>
    /// 8 bits an element plus one float32 per block of <see cref="Blockwise8Bit.BlockSize"/> elements (about 1.016 bytes
    /// an element), in the dynamic code of <see cref="Blockwise8Bit"/>: CAME's momentum, Adafactor's momentum (when β1
    /// is set), AdamW's and LAMB's two moments. Factored row and column vectors, 1-D vectors' second moments, tensors
    /// under <see cref="Blockwise8Bit.MinElements"/> elements and matrices whose rows are under 4 elements (whose blocks
    /// restart at every row) stay float32.
    /// </summary>
    Blockwise8Bit,
}
