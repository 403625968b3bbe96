using System.Reflection;
using Engine = CameSharp;

namespace CameSharp.TorchSharp.Tests;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

public sealed class OptionsBinderTests
{
    public static TheoryData<string> Optimizers => ["came", "adafactor", "lamb"];

    private static (IReadOnlyList<Engine.Hyperparameter> Declared, Func<OptimizerOptions> New, IBinder Binder) Of(string optimizer) => optimizer switch
    {
        "came" => (Engine.CameOptions.Hyperparameters, () => new Came.Options(), new Binder<Engine.CameOptions, Came.Options>(Came.Options.Binder)),
        "adafactor" => (Engine.AdafactorOptions.Hyperparameters, () => new Adafactor.Options(), new Binder<Engine.AdafactorOptions, Adafactor.Options>(Adafactor.Options.Binder)),
        _ => (Engine.LambOptions.Hyperparameters, () => new Lamb.Options(), new Binder<Engine.LambOptions, Lamb.Options>(Lamb.Options.Binder)),
    };

    private interface IBinder
    {
        Engine.OptimizerOptions ToEngine(OptimizerOptions options);

        void WriteBack(Engine.OptimizerOptions resolved, OptimizerOptions options);

        void FillDefaults(OptimizerOptions options, OptimizerOptions defaults);
    }

    private sealed class Binder<TEngine, TOptions>(OptionsBinder<TEngine, TOptions> binder) : IBinder
        where TEngine : Engine.OptimizerOptions, Engine.IHyperparameterOptions<TEngine> where TOptions : OptimizerOptions, new()
    {
        public Engine.OptimizerOptions ToEngine(OptimizerOptions options) => binder.ToEngine(options);

        public void WriteBack(Engine.OptimizerOptions resolved, OptimizerOptions options) => binder.WriteBack((TEngine)resolved, options);

        public void FillDefaults(OptimizerOptions options, OptimizerOptions defaults) => binder.FillDefaults(options, defaults);
    }

    /// <summary>The adapter's member for a declaration, read and written by name as a user would.</summary>
    private static object? Get(OptimizerOptions o, Engine.Hyperparameter h) =>
        h.Name == "lr" ? o.LearningRate : o.GetType().GetField(h.Name, BindingFlags.Public | BindingFlags.Instance)!.GetValue(o);

    private static void Set(OptimizerOptions o, Engine.Hyperparameter h, object? value)
    {
        if (h.Name == "lr") o.LearningRate = (double?)value;
        else o.GetType().GetField(h.Name, BindingFlags.Public | BindingFlags.Instance)!.SetValue(o, value);
    }

    /// <summary>Valid options with every value set, none of them the default.</summary>
    private static OptimizerOptions Full(string optimizer)
    {
        var (declared, create, _) = Of(optimizer);
        var o = create();
        foreach (var h in declared)
            Set(o, h, h.ValueType == typeof(bool) ? !(bool)(h.DefaultValue ?? false) : h.Range!.Value.Maximum == 0 ? -0.25 : 0.25);
        // Adafactor's cross rules: an external lr wants relative_step off, and so does warmup_init.
        if (optimizer == "adafactor") ((Adafactor.Options)o).warmup_init = false;
        return o;
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_declaration_has_a_nullable_public_field_of_its_name(string optimizer)
    {
        var (declared, create, _) = Of(optimizer);
        var type = create().GetType();
        foreach (var h in declared.Where(h => h.Name != "lr"))
        {
            var field = type.GetField(h.Name, BindingFlags.Public | BindingFlags.Instance);
            Assert.NotNull(field);
            Assert.Equal(h.ValueType == typeof(bool) ? typeof(bool?) : typeof(double?), field.FieldType);
        }
        Assert.Equal(declared.Count - 1, type.GetFields(BindingFlags.Public | BindingFlags.Instance).Length);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_declared_hyperparameter_round_trips_through_the_binder(string optimizer)
    {
        var (declared, create, binder) = Of(optimizer);
        var given = Full(optimizer);
        var resolved = binder.ToEngine(given);
        var back = create();
        binder.WriteBack(resolved, back);
        foreach (var h in declared)
        {
            Assert.Equal(Get(given, h), h.GetValue(resolved));
            Assert.Equal(Get(given, h), Get(back, h));
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Unset_values_take_the_optimizers_defaults_then_the_engines(string optimizer)
    {
        var (declared, create, binder) = Of(optimizer);
        var defaults = Full(optimizer);
        var empty = create();
        binder.FillDefaults(empty, defaults);
        foreach (var h in declared) Assert.Equal(Get(defaults, h), Get(empty, h));

        var resolved = binder.ToEngine(optimizer == "came" ? new Came.Options { LearningRate = 1e-3 } : create());
        foreach (var h in declared.Where(h => !h.IsRequired)) Assert.Equal(h.DefaultValue, h.GetValue(resolved));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Out_of_range_values_are_refused_with_the_declared_range(string optimizer)
    {
        var (declared, _, binder) = Of(optimizer);
        foreach (var h in declared.Where(h => h.Range is not null))
        {
            var o = Full(optimizer);
            Set(o, h, double.NaN);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => binder.ToEngine(o));
            Assert.Equal(h.PropertyName, e.ParamName);
            Assert.Contains(h.Range!.Value.ToString(), e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void State_dict_options_round_trip(string optimizer)
    {
        var (declared, create, _) = Of(optimizer);
        var given = Full(optimizer);
        given.InitialLearningRate = 0.125;
        using var stream = new MemoryStream();
        given.SaveStateDict(new BinaryWriter(stream));
        stream.Position = 0;
        var loaded = create();
        loaded.LoadStateDict(new BinaryReader(stream));
        Assert.Equal(stream.Length, stream.Position);
        var copied = create();
        copied.LoadStateDict(given);
        foreach (var h in declared)
        {
            Assert.Equal(Get(given, h), Get(loaded, h));
            Assert.Equal(Get(given, h), Get(copied, h));
        }
        Assert.Equal(0.125, loaded.InitialLearningRate);
        Assert.Equal(0.125, copied.InitialLearningRate);
    }

    /// <summary>The layouts the hand-written overrides wrote, so that state dicts saved before load.</summary>
    [Fact]
    public void State_dict_layouts_are_the_ones_saved_before()
    {
        var came = new Came.Options
        {
            InitialLearningRate = 0.5, LearningRate = 1e-3, beta1 = 0.1, beta2 = 0.2, beta3 = 0.3, eps1 = 0.4, eps2 = 0.5,
            clip_threshold = 0.6, weight_decay = 0.7, bias_correction = true,
        };
        Assert.Equal(Bytes(w =>
        {
            foreach (var v in new[] { 0.5, 1e-3, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }) w.Write(v);
            w.Write(true);
        }), Bytes(came.SaveStateDict));

        var adafactor = new Adafactor.Options
        {
            InitialLearningRate = 0.5, eps1 = 0.1, eps2 = 0.2, clip_threshold = 0.3, decay_rate = -0.4, beta1 = 0.9, weight_decay = 0.6,
            scale_parameter = false, relative_step = true, warmup_init = true,
        };
        Assert.Equal(Bytes(w =>
        {
            w.Write(0.5);
            w.Write(false);
            w.Write(0.0);
            foreach (var v in new[] { 0.1, 0.2, 0.3, -0.4, 0.6 }) w.Write(v);
            w.Write(true);
            w.Write(0.9);
            foreach (var b in new[] { false, true, true }) w.Write(b);
        }), Bytes(adafactor.SaveStateDict));

        var lamb = new Lamb.Options { InitialLearningRate = 0.5, LearningRate = 1e-3, beta1 = 0.1, beta2 = 0.2, eps = 0.3, weight_decay = 0.4 };
        Assert.Equal(Bytes(w => { foreach (var v in new[] { 0.5, 1e-3, 0.1, 0.2, 0.3, 0.4 }) w.Write(v); }), Bytes(lamb.SaveStateDict));
    }

    private static byte[] Bytes(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) write(writer);
        return stream.ToArray();
    }
}
