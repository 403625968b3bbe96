namespace CameSharp.Tests.Reference;

/// <summary>
/// Plain, unfused, double-precision loops for the four optimizers, written from the published algorithms
/// the way the reference code states them, with nothing shared with the engine's kernels.
/// </summary>
internal abstract class ScalarOptimizer
{
    private readonly Dictionary<string, Dictionary<string, double[]>> states = [];
    private readonly Dictionary<string, long> steps = [];

    public static ScalarOptimizer For(OptimizerOptions options) => options switch
    {
        CameOptions => new ScalarCame { Options = options },
        AdafactorOptions => new ScalarAdafactor { Options = options },
        AdamWOptions => new ScalarAdamW { Options = options },
        LambOptions => new ScalarLamb { Options = options },
        _ => throw new NotSupportedException(options.GetType().Name),
    };

    /// <summary>The hyperparameters of the next step; a schedule may replace them between steps.</summary>
    public required OptimizerOptions Options { get; set; }

    /// <summary>One step of parameter <paramref name="name"/>, in place.</summary>
    public void Step(string name, double[] p, double[] g, int[] shape)
    {
        if (!states.TryGetValue(name, out var state)) states[name] = state = [];
        long t = steps[name] = steps.GetValueOrDefault(name) + 1;
        Step(p, g, shape, t, key => state.TryGetValue(key, out var s) ? s : state[key] = new double[Size(key, shape)]);
    }

    protected abstract void Step(double[] p, double[] g, int[] shape, long t, Func<string, double[]> state);

    private static int Size(string key, int[] shape)
    {
        var (b, r, c) = Matrix(shape);
        return key.EndsWith("_row", StringComparison.Ordinal) ? b * r
            : key.EndsWith("_col", StringComparison.Ordinal) ? b * c
            : shape.Aggregate(1, (x, y) => x * y);
    }

    protected static (int B, int R, int C) Matrix(int[] shape) =>
        shape.Length < 2 ? (1, 1, shape[0]) : (shape[..^2].Aggregate(1, (x, y) => x * y), shape[^2], shape[^1]);

    protected static void Ema(double[] ema, double[] x, double beta)
    {
        for (int i = 0; i < ema.Length; i++) ema[i] = beta * ema[i] + (1 - beta) * x[i];
    }

    protected static double[] RowMeans(double[] x, int[] shape)
    {
        var (b, r, c) = Matrix(shape);
        var means = new double[b * r];
        for (int k = 0; k < b * r; k++)
        {
            for (int j = 0; j < c; j++) means[k] += x[k * c + j];
            means[k] /= c;
        }
        return means;
    }

    protected static double[] ColMeans(double[] x, int[] shape)
    {
        var (b, r, c) = Matrix(shape);
        var means = new double[b * c];
        for (int bb = 0; bb < b; bb++)
            for (int j = 0; j < c; j++)
            {
                for (int i = 0; i < r; i++) means[bb * c + j] += x[(bb * r + i) * c + j];
                means[bb * c + j] /= r;
            }
        return means;
    }

    /// <summary>The elementwise rsqrt of the rank-1 approximation row_i · col_j / mean(row).</summary>
    protected static double[] RsqrtApprox(double[] row, double[] col, int[] shape)
    {
        var (b, r, c) = Matrix(shape);
        var result = new double[b * r * c];
        for (int bb = 0; bb < b; bb++)
        {
            double mean = 0;
            for (int i = 0; i < r; i++) mean += row[bb * r + i];
            mean /= r;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++)
                    result[(bb * r + i) * c + j] = 1 / Math.Sqrt(row[bb * r + i] / mean) / Math.Sqrt(col[bb * c + j]);
        }
        return result;
    }

    protected static double Rms(double[] x) => Math.Sqrt(x.Sum(v => v * v) / x.Length);

    protected static double[] Map(double[] a, Func<int, double> f)
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++) r[i] = f(i);
        return r;
    }
}

internal sealed class ScalarCame : ScalarOptimizer
{
    protected override void Step(double[] p, double[] g, int[] shape, long t, Func<string, double[]> state)
    {
        var o = (CameOptions)Options;
        // bias_correction (golden/README.md): each EMA divided by 1 − β^t where it is used, never where it is stored.
        double bc1 = o.BiasCorrection ? 1 - Math.Pow(o.Beta1, t) : 1;
        double bc2 = o.BiasCorrection ? 1 - Math.Pow(o.Beta2, t) : 1;
        double bc3 = o.BiasCorrection ? 1 - Math.Pow(o.Beta3, t) : 1;
        var m = state("exp_avg");
        var sq = Map(g, i => g[i] * g[i] + o.Eps1);
        double[] u;
        bool factored = shape.Length >= 2;
        if (factored)
        {
            var row = state("exp_avg_sq_row");
            var col = state("exp_avg_sq_col");
            Ema(row, RowMeans(sq, shape), o.Beta2);
            Ema(col, ColMeans(sq, shape), o.Beta2);
            var approx = RsqrtApprox(row, Map(col, j => col[j] / bc2), shape);
            u = Map(g, i => approx[i] * g[i]);
        }
        else
        {
            var v = state("exp_avg_sq");
            Ema(v, sq, o.Beta2);
            u = Map(g, i => g[i] / Math.Sqrt(v[i] / bc2));
        }
        double clip = Math.Max(1, Rms(u) / o.ClipThreshold);
        u = Map(u, i => u[i] / clip);
        Ema(m, u, o.Beta1);
        double[] update = Map(m, i => m[i] / bc1);
        if (factored)
        {
            var res = Map(u, i => (u[i] - m[i]) * (u[i] - m[i]) + o.Eps2);
            var row = state("exp_avg_res_row");
            var col = state("exp_avg_res_col");
            Ema(row, RowMeans(res, shape), o.Beta3);
            Ema(col, ColMeans(res, shape), o.Beta3);
            var approx = RsqrtApprox(row, Map(col, j => col[j] / bc3), shape);
            update = Map(m, i => approx[i] * m[i] / bc1);
        }
        for (int i = 0; i < p.Length; i++) p[i] = p[i] - o.WeightDecay * o.LearningRate * p[i] - o.LearningRate * update[i];
    }
}

internal sealed class ScalarAdafactor : ScalarOptimizer
{
    protected override void Step(double[] p, double[] g, int[] shape, long t, Func<string, double[]> state)
    {
        var o = (AdafactorOptions)Options;
        double rel = o.RelativeStep ? Math.Min(o.WarmupInit ? 1e-6 * t : 1e-2, 1 / Math.Sqrt(t)) : o.LearningRate!.Value;
        double lr = o.ScaleParameter ? Math.Max(o.Eps2, Rms(p)) * rel : rel;
        double beta2 = 1 - Math.Pow(t, o.DecayRate);
        var sq = Map(g, i => g[i] * g[i] + o.Eps1);
        double[] u;
        if (shape.Length >= 2)
        {
            var row = state("exp_avg_sq_row");
            var col = state("exp_avg_sq_col");
            Ema(row, RowMeans(sq, shape), beta2);
            Ema(col, ColMeans(sq, shape), beta2);
            var approx = RsqrtApprox(row, col, shape);
            u = Map(g, i => approx[i] * g[i]);
        }
        else
        {
            var v = state("exp_avg_sq");
            Ema(v, sq, beta2);
            u = Map(g, i => g[i] / Math.Sqrt(v[i]));
        }
        double clip = Math.Max(1, Rms(u) / o.ClipThreshold);
        u = Map(u, i => u[i] / clip * lr);
        if (o.Beta1 is { } b1)
        {
            var m = state("exp_avg");
            Ema(m, u, b1);
            u = m;
        }
        for (int i = 0; i < p.Length; i++) p[i] = p[i] - o.WeightDecay * lr * p[i] - u[i];
    }
}

internal sealed class ScalarAdamW : ScalarOptimizer
{
    protected override void Step(double[] p, double[] g, int[] shape, long t, Func<string, double[]> state)
    {
        var o = (AdamWOptions)Options;
        var m = state("exp_avg");
        var v = state("exp_avg_sq");
        Ema(m, g, o.Beta1);
        Ema(v, Map(g, i => g[i] * g[i]), o.Beta2);
        double bc1 = 1 - Math.Pow(o.Beta1, t), bc2 = 1 - Math.Pow(o.Beta2, t);
        for (int i = 0; i < p.Length; i++)
            p[i] = p[i] * (1 - o.LearningRate * o.WeightDecay) - o.LearningRate / bc1 * m[i] / (Math.Sqrt(v[i] / bc2) + o.Eps);
    }
}

internal sealed class ScalarLamb : ScalarOptimizer
{
    protected override void Step(double[] p, double[] g, int[] shape, long t, Func<string, double[]> state)
    {
        var o = (LambOptions)Options;
        var m = state("exp_avg");
        var v = state("exp_avg_sq");
        Ema(m, g, o.Beta1);
        Ema(v, Map(g, i => g[i] * g[i]), o.Beta2);
        double bc1 = 1 - Math.Pow(o.Beta1, t), bc2 = 1 - Math.Pow(o.Beta2, t);
        var r = Map(p, i => m[i] / bc1 / (Math.Sqrt(v[i] / bc2) + o.Eps) + o.WeightDecay * p[i]);
        double pn = Math.Sqrt(p.Sum(x => x * x)), rn = Math.Sqrt(r.Sum(x => x * x));
        double trust = pn > 0 && rn > 0 ? pn / rn : 1;
        for (int i = 0; i < p.Length; i++) p[i] -= o.LearningRate * trust * r[i];
    }
}
