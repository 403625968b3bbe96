using CameSharp.Tests.Reference;
using CsCheck;

namespace CameSharp.Tests;

/// <summary>
/// Every optimizer against the double-precision scalar reference, on random shapes (1 to 4 dimensions, with
/// 1×N and N×1 matrices), random hyperparameters, gradient scales from 1e-8 to 1e8 that jump between steps,
/// whole steps of zero gradient and all-zero rows, and a random thread count. The bound is golden/README.md's.
/// </summary>
public sealed class PropertyTests
{
    private const double Rtol = 2e-4;

    /// <summary>A run: shape, per-step gradient scale (0 = all-zero gradient), a row zeroed at every step (or -1), threads, seed.</summary>
    public sealed record Case(int[] Shape, double[] Scales, int ZeroRow, int Threads, int Seed)
    {
        public override string ToString() =>
            $"shape [{string.Join(",", Shape)}], scales [{string.Join(",", Scales.Select(s => s.ToString("E0")))}], zero row {ZeroRow}, threads {Threads}, seed {Seed}";
    }

    private static readonly Gen<int> Dim = Gen.Frequency((3, Gen.Int[2, 9]), (2, Gen.Const(1)), (1, Gen.Int[10, 40]));

    private static readonly Gen<Case> Cases =
        from rank in Gen.Int[1, 4]
        from shape in Dim.Array[rank]
        from scales in Gen.Frequency((1, Gen.Const(0.0)), (6, Gen.Int[-8, 8].Select(k => Math.Pow(10, k)))).Array[2, 5]
        from zeroRow in Gen.Int[-1, 3]
        from threads in Gen.Int[1, 4]
        from seed in Gen.Int
        select new Case(shape, scales, rank >= 2 && zeroRow < shape[^2] ? zeroRow : -1, threads, seed);

    private static readonly Gen<double> Lr = Gen.Double[-4, -1].Select(x => Math.Pow(10, x));
    // Zero, or a decay float32 can hold: LAMB's trust ratio turns even λ = 1e-50 into a full step in double,
    // while float32 (as in apex) rounds it to 0, so such values test the number format, not the optimizer.
    private static readonly Gen<double> Decay = Gen.Frequency((1, Gen.Const(0.0)), (1, Gen.Double[-6, -1].Select(x => Math.Pow(10, x))));

    private static readonly Gen<OptimizerOptions> CameHyper =
        from lr in Lr
        from b1 in Gen.Double[0.5, 0.99]
        from b2 in Gen.Double[0.9, 0.9999]
        from b3 in Gen.Double[0.9, 0.99999]
        from d in Gen.Double[0.05, 5]
        from wd in Decay
        from bc in Gen.Bool
        select (OptimizerOptions)new CameOptions { LearningRate = lr, Beta1 = b1, Beta2 = b2, Beta3 = b3, ClipThreshold = d, WeightDecay = wd, BiasCorrection = bc };

    private static readonly Gen<OptimizerOptions> AdafactorHyper =
        from relative in Gen.Bool
        from warmup in Gen.Bool
        from scale in Gen.Bool
        from lr in Lr
        from momentum in Gen.Bool
        from b1 in Gen.Double[0.5, 0.99]
        from c in Gen.Double[-1, -0.5]
        from d in Gen.Double[0.05, 5]
        from wd in Decay
        select (OptimizerOptions)new AdafactorOptions
        {
            RelativeStep = relative,
            WarmupInit = relative && warmup,
            LearningRate = relative ? null : lr,
            ScaleParameter = scale,
            Beta1 = momentum ? b1 : null,
            DecayRate = c,
            ClipThreshold = d,
            WeightDecay = wd,
        };

    private static readonly Gen<OptimizerOptions> AdamWHyper =
        from lr in Lr
        from b1 in Gen.Double[0.5, 0.99]
        from b2 in Gen.Double[0.9, 0.9999]
        from eps in Gen.Double[-10, -6].Select(x => Math.Pow(10, x))
        from wd in Decay
        select (OptimizerOptions)new AdamWOptions { LearningRate = lr, Beta1 = b1, Beta2 = b2, Eps = eps, WeightDecay = wd };

    private static readonly Gen<OptimizerOptions> LambHyper =
        from lr in Lr
        from b1 in Gen.Double[0.5, 0.99]
        from b2 in Gen.Double[0.9, 0.9999]
        from eps in Gen.Double[-10, -6].Select(x => Math.Pow(10, x))
        from wd in Decay
        select (OptimizerOptions)new LambOptions { LearningRate = lr, Beta1 = b1, Beta2 = b2, Eps = eps, WeightDecay = wd };

    [Fact] public void Came_matches_the_scalar_reference() => Check(CameHyper);

    [Fact] public void Adafactor_matches_the_scalar_reference() => Check(AdafactorHyper);

    [Fact] public void AdamW_matches_the_scalar_reference() => Check(AdamWHyper);

    [Fact] public void Lamb_matches_the_scalar_reference() => Check(LambHyper);

    /// <summary>Matrices of 64K elements and more are cut into row blocks whose column sums are combined afterwards.</summary>
    [Theory]
    [InlineData(new[] { 700, 300 }, 1)]
    [InlineData(new[] { 700, 300 }, 2)]
    [InlineData(new[] { 2, 130, 600 }, 2)]
    public void Split_matrices_match_the_scalar_reference(int[] shape, int threads)
    {
        Assert.True(new CameSharp.Kernels.FactoredLayout(shape).Splits > 1);
        var scales = new[] { 1.0, 1e-3, 10 };
        Run(new Case(shape, scales, ZeroRow: 3, threads, Seed: 11), new CameOptions { LearningRate = 1e-3, WeightDecay = 0.01 });
        Run(new Case(shape, scales, ZeroRow: 3, threads, Seed: 13), new CameOptions { LearningRate = 1e-3, WeightDecay = 0.01, BiasCorrection = true });
        Run(new Case(shape, scales, ZeroRow: -1, threads, Seed: 12), new AdafactorOptions { RelativeStep = false, LearningRate = 1e-3, Beta1 = 0.9 });
    }

    private static void Check(Gen<OptimizerOptions> hyper) =>
        Gen.Select(Cases, hyper).Sample((c, o) => Run(c, o), iter: 300, print: t => $"{t.Item1}; {t.Item2}");

    private static void Run(Case c, OptimizerOptions options)
    {
        var rng = new Random(c.Seed);
        int n = c.Shape.Aggregate(1, (a, b) => a * b);
        var init = Enumerable.Range(0, n).Select(_ => (float)Normal(rng)).ToArray();
        var param = new Parameter("w", (float[])init.Clone(), c.Shape);
        using var engine = Optimizers.Create([param], options);
        engine.DegreeOfParallelism = c.Threads;
        var reference = ScalarOptimizer.For(options);
        var expected = init.Select(x => (double)x).ToArray();

        for (int t = 0; t < c.Scales.Length; t++)
        {
            var grad = Enumerable.Range(0, n).Select(_ => (float)(Normal(rng) * c.Scales[t])).ToArray();
            if (c.ZeroRow >= 0)
                for (int i = 0; i < n; i++)
                    if (i / c.Shape[^1] % c.Shape[^2] == c.ZeroRow) grad[i] = 0;
            param.Grad = grad;
            engine.Step();
            reference.Step("w", expected, grad.Select(x => (double)x).ToArray(), c.Shape);

            double error = 0, moved = 0, scale = 0;
            var actual = param.Data.Span;
            for (int i = 0; i < n; i++)
            {
                error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
                moved = Math.Max(moved, Math.Abs(expected[i] - init[i]));
                scale = Math.Max(scale, Math.Abs(expected[i]));
            }
            double bound = Rtol * moved + 4.0 * (t + 1) * Math.Pow(2, -23) * scale;
            if (!(error <= bound))
                throw new Xunit.Sdk.XunitException($"step {t}: max error {error:E3} > bound {bound:E3} (moved {moved:E3})");
        }
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
