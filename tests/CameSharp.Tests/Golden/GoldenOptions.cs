using System.Text.Json;

namespace CameSharp.Tests.Golden;

/// <summary>
/// Maps a golden file's hyperparameters (the reference's own names) to CameSharp options, refusing any key it
/// does not know, so that a new golden file can never pass by having a hyperparameter silently ignored.
/// </summary>
public static class GoldenOptions
{
    private static readonly Dictionary<string, string[]> Known = new()
    {
        ["came"] = ["lr", "betas", "eps", "clip_threshold", "weight_decay"],
        ["adafactor"] = ["lr", "eps", "clip_threshold", "decay_rate", "beta1", "weight_decay", "scale_parameter", "relative_step", "warmup_init"],
        ["adamw"] = ["lr", "betas", "eps", "weight_decay"],
        ["lamb"] = ["lr", "betas", "eps", "weight_decay"],
    };

    /// <summary>The options record for the file's optimizer: CameOptions, AdafactorOptions, AdamWOptions or LambOptions.</summary>
    public static OptimizerOptions For(GoldenTrajectory golden)
    {
        if (!Known.TryGetValue(golden.Optimizer, out var keys))
            throw new NotSupportedException($"{golden.Name}: unknown optimizer '{golden.Optimizer}' (known: {string.Join(", ", Known.Keys)}).");
        var unknown = golden.Hyper.Keys.Except(keys).ToList();
        if (unknown.Count > 0)
            throw new NotSupportedException($"{golden.Name}: unknown hyperparameter(s) {string.Join(", ", unknown)} for {golden.Optimizer}.");
        var h = golden.Hyper;
        return golden.Optimizer switch
        {
            "came" => Came(h),
            "adafactor" => Adafactor(h),
            "adamw" => AdamW(h),
            _ => Lamb(h),
        };
    }

    private static CameOptions Came(IReadOnlyDictionary<string, JsonElement> h)
    {
        var o = new CameOptions { LearningRate = h["lr"].GetDouble() };
        if (h.TryGetValue("betas", out var b)) o = o with { Beta1 = b[0].GetDouble(), Beta2 = b[1].GetDouble(), Beta3 = b[2].GetDouble() };
        if (h.TryGetValue("eps", out var e)) o = o with { Eps1 = e[0].GetDouble(), Eps2 = e[1].GetDouble() };
        if (h.TryGetValue("clip_threshold", out var d)) o = o with { ClipThreshold = d.GetDouble() };
        if (h.TryGetValue("weight_decay", out var wd)) o = o with { WeightDecay = wd.GetDouble() };
        return o;
    }

    private static AdafactorOptions Adafactor(IReadOnlyDictionary<string, JsonElement> h)
    {
        var o = new AdafactorOptions
        {
            RelativeStep = !h.TryGetValue("relative_step", out var rs) || rs.GetBoolean(),
            ScaleParameter = !h.TryGetValue("scale_parameter", out var sp) || sp.GetBoolean(),
            WarmupInit = h.TryGetValue("warmup_init", out var wi) && wi.GetBoolean(),
        };
        if (h.TryGetValue("lr", out var lr) && lr.ValueKind != JsonValueKind.Null) o = o with { LearningRate = lr.GetDouble() };
        if (h.TryGetValue("eps", out var e)) o = o with { Eps1 = e[0].GetDouble(), Eps2 = e[1].GetDouble() };
        if (h.TryGetValue("clip_threshold", out var d)) o = o with { ClipThreshold = d.GetDouble() };
        if (h.TryGetValue("decay_rate", out var c)) o = o with { DecayRate = c.GetDouble() };
        if (h.TryGetValue("beta1", out var b1) && b1.ValueKind != JsonValueKind.Null) o = o with { Beta1 = b1.GetDouble() };
        if (h.TryGetValue("weight_decay", out var wd)) o = o with { WeightDecay = wd.GetDouble() };
        return o;
    }

    private static AdamWOptions AdamW(IReadOnlyDictionary<string, JsonElement> h)
    {
        var o = new AdamWOptions();
        if (h.TryGetValue("lr", out var lr)) o = o with { LearningRate = lr.GetDouble() };
        if (h.TryGetValue("betas", out var b)) o = o with { Beta1 = b[0].GetDouble(), Beta2 = b[1].GetDouble() };
        if (h.TryGetValue("eps", out var e)) o = o with { Eps = e.GetDouble() };
        if (h.TryGetValue("weight_decay", out var wd)) o = o with { WeightDecay = wd.GetDouble() };
        return o;
    }

    private static LambOptions Lamb(IReadOnlyDictionary<string, JsonElement> h)
    {
        var o = new LambOptions();
        if (h.TryGetValue("lr", out var lr)) o = o with { LearningRate = lr.GetDouble() };
        if (h.TryGetValue("betas", out var b)) o = o with { Beta1 = b[0].GetDouble(), Beta2 = b[1].GetDouble() };
        if (h.TryGetValue("eps", out var e)) o = o with { Eps = e.GetDouble() };
        if (h.TryGetValue("weight_decay", out var wd)) o = o with { WeightDecay = wd.GetDouble() };
        return o;
    }
}
