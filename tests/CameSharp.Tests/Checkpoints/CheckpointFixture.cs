namespace CameSharp.Tests.Checkpoints;

/// <summary>An optimizer over a matrix, a vector and a 3-D tensor in two groups, with a deterministic gradient stream.</summary>
internal sealed class CheckpointFixture : IDisposable
{
    public CheckpointFixture(string name, float[]? w = null, float[]? b = null, float[]? v = null)
        : this(name, StateFormat.Float32, w, b, v)
    {
    }

    /// <summary>With <see cref="StateFormat.Blockwise8Bit"/> the matrix and the 3-D tensor are large enough to be stored in 8 bits.</summary>
    public CheckpointFixture(string name, StateFormat format, float[]? w = null, float[]? b = null, float[]? v = null)
    {
        bool eight = format == StateFormat.Blockwise8Bit;
        int[] wShape = eight ? [70, 64] : [6, 5], vShape = eight ? [2, 48, 48] : [2, 3, 4];
        W = new Parameter("layer.weight", w ?? OptimizerTests.Random(wShape.Aggregate((x, y) => x * y), 1), wShape);
        B = new Parameter("layer.bias", b ?? OptimizerTests.Random(5, 2));
        V = new Parameter("conv", v ?? OptimizerTests.Random(vShape.Aggregate((x, y) => x * y), 3), vShape);
        Optimizer = OptimizerTests.Create(name,
            ([W, V], OptimizerTests.OptionsFor(name)),
            ([B], OptimizerTests.OptionsFor(name, lr: 5e-3, weightDecay: 0)));
        Optimizer.StateFormat = format;
        Optimizer.DegreeOfParallelism = 2;
    }

    public Parameter W { get; }
    public Parameter B { get; }
    public Parameter V { get; }
    public Optimizer Optimizer { get; }

    /// <summary>Steps with the gradients of steps [from, to).</summary>
    public void Run(int from, int to)
    {
        for (int t = from; t < to; t++)
        {
            W.Grad = OptimizerTests.Random(W.Length, 100 + t);
            B.Grad = t % 3 == 2 ? Memory<float>.Empty : OptimizerTests.Random(B.Length, 200 + t);
            V.Grad = OptimizerTests.Random(V.Length, 300 + t, scale: 10);
            Optimizer.Step();
        }
    }

    /// <summary>Everything an optimizer is: parameters, state tensors, step counts, options, skipped steps.</summary>
    public string Fingerprint()
    {
        var floats = W.Data.ToArray().Concat(B.Data.ToArray()).Concat(V.Data.ToArray()).Concat(OptimizerTests.StateValues(Optimizer));
        var steps = new[] { W, B, V }.Select(p => OptimizerTests.StepCount(Optimizer, p));
        return string.Join(",", floats.Select(f => BitConverter.SingleToInt32Bits(f))) + "|" + string.Join(",", steps) + "|" +
               Options() + "|" + Optimizer.SkippedSteps + "|" + Optimizer.StateBytes;
    }

    public string Options() => Optimizer switch
    {
        Came o => string.Join(";", o.ParamGroups.Select(g => g.Options)),
        Adafactor o => string.Join(";", o.ParamGroups.Select(g => g.Options)),
        AdamW o => string.Join(";", o.ParamGroups.Select(g => g.Options)),
        Lamb o => string.Join(";", o.ParamGroups.Select(g => g.Options)),
        _ => "",
    };

    public void Dispose() => Optimizer.Dispose();
}
