using System.Linq.Expressions;
using System.Reflection;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

/// <summary>
/// Binds each hyperparameter the engine declares for <typeparamref name="TEngineOptions"/> to the member of the adapter's
/// <typeparamref name="TOptions"/> of the same name (a nullable public field; <c>lr</c> is TorchSharp's LearningRate), with
/// accessors compiled once per type. Resolving, writing back, filling defaults and the state-dict layout derive from it.
/// </summary>
internal sealed class OptionsBinder<TEngineOptions, TOptions> : IOptionsBinding<TEngineOptions>
    where TEngineOptions : Engine.OptimizerOptions, Engine.IHyperparameterOptions<TEngineOptions>
    where TOptions : OptimizerOptions, new()
{
    private const string LearningRate = "lr";

    private readonly Slot[] slots;
    private readonly Dictionary<Engine.Hyperparameter, Slot> slotOf;
    private readonly Slot[] stateDictOrder;

    public OptionsBinder()
    {
        slots = TEngineOptions.Hyperparameters.Select(Bind).ToArray();
        slotOf = slots.ToDictionary(s => s.Declaration);
        // The layout these optimizers have always written: the learning rate where TorchSharp's base writes it, then the
        // numbers, then the optional numbers as (present, value), then the switches; each kind in declaration order.
        stateDictOrder =
        [
            .. slots.Where(s => s.Declaration.Name == LearningRate),
            .. slots.Where(s => s.Declaration.Name != LearningRate && s.Declaration.ValueType == typeof(double)),
            .. slots.Where(s => s.Declaration.Name != LearningRate && s.Declaration.ValueType == typeof(double?)),
            .. slots.Where(s => s.Declaration.ValueType == typeof(bool)),
        ];
    }

    /// <inheritdoc/>
    public OptimizerOptions NewOptions() => new TOptions();

    /// <summary>The engine's options for <paramref name="options"/>: unset values take the engine's defaults; every value is checked.</summary>
    public TEngineOptions ToEngine(OptimizerOptions options) => TEngineOptions.Hyperparameters.Create(new Source(this, (TOptions)options));

    /// <summary>Writes every value of <paramref name="resolved"/> into <paramref name="options"/>, so that they show each one.</summary>
    public void WriteBack(TEngineOptions resolved, OptimizerOptions options)
    {
        foreach (var slot in slots) slot.Set((TOptions)options, slot.Declaration.GetValue(resolved));
    }

    /// <summary>Fills the unset values of <paramref name="options"/> from <paramref name="defaults"/>.</summary>
    public void FillDefaults(OptimizerOptions options, OptimizerOptions defaults)
    {
        foreach (var slot in slots) slot.Fill((TOptions)options, (TOptions)defaults);
    }

    public void Copy(TOptions source, TOptions target)
    {
        foreach (var slot in slots) slot.Copy(source, target);
    }

    public void Save(BinaryWriter writer, TOptions options)
    {
        writer.Write(options.InitialLearningRate);
        foreach (var slot in stateDictOrder) slot.Save(writer, options);
    }

    public void Load(BinaryReader reader, TOptions options)
    {
        options.InitialLearningRate = reader.ReadDouble();
        foreach (var slot in stateDictOrder) slot.Load(reader, options);
    }

    private static Slot Bind(Engine.Hyperparameter declaration)
    {
        var member = declaration.Name == LearningRate
            ? (MemberInfo)typeof(TOptions).GetProperty(nameof(OptimizerOptions.LearningRate))!
            : typeof(TOptions).GetField(declaration.Name, BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{typeof(TOptions)} has no public field {declaration.Name} for {declaration.PropertyName}.");
        return declaration.ValueType == typeof(bool)
            ? new Slot<bool>(declaration, member)
            : new Slot<double>(declaration, member);
    }

    private abstract class Slot(Engine.Hyperparameter declaration)
    {
        public Engine.Hyperparameter Declaration { get; } = declaration;

        public abstract void Set(TOptions options, object? value);

        public abstract void Fill(TOptions options, TOptions defaults);

        public abstract void Copy(TOptions source, TOptions target);

        public abstract void Save(BinaryWriter writer, TOptions options);

        public abstract void Load(BinaryReader reader, TOptions options);
    }

    /// <summary>
    /// (β1, β2) as a scheduler that cycles momentum sees them: each 0 where it is not declared (Adafactor's β2 follows
    /// decay_rate) or unset (Adafactor without momentum).
    /// </summary>
    public (double, double) GetBetas(TOptions options) => (Beta(options, "beta1"), Beta(options, "beta2"));

    /// <summary>Sets (β1, β2) where they are declared and set: a scheduler does not switch Adafactor's momentum on.</summary>
    public void SetBetas(TOptions options, (double, double) betas)
    {
        SetBeta(options, "beta1", betas.Item1);
        SetBeta(options, "beta2", betas.Item2);
    }

    private double Beta(TOptions options, string name) =>
        slots.FirstOrDefault(s => s.Declaration.Name == name) is Slot<double> slot ? slot.Get(options) ?? 0 : 0;

    private void SetBeta(TOptions options, string name, double value)
    {
        if (slots.FirstOrDefault(s => s.Declaration.Name == name) is Slot<double> slot && slot.Get(options) is not null) slot.Set(options, value);
    }

    /// <summary>A member of type <typeparamref name="T"/>? (double or bool).</summary>
    private sealed class Slot<T> : Slot where T : struct
    {
        private readonly Func<TOptions, T?> get;
        private readonly Action<TOptions, T?> set;
        private readonly bool optional;

        public Slot(Engine.Hyperparameter declaration, MemberInfo member) : base(declaration)
        {
            var type = member is FieldInfo field ? field.FieldType : ((PropertyInfo)member).PropertyType;
            if (type != typeof(T?))
                throw new InvalidOperationException($"{typeof(TOptions)}.{member.Name} must be a {typeof(T).Name}? for {declaration.PropertyName}.");
            var options = Expression.Parameter(typeof(TOptions), "options");
            var value = Expression.Parameter(typeof(T?), "value");
            var access = Expression.MakeMemberAccess(options, member);
            get = Expression.Lambda<Func<TOptions, T?>>(access, options).Compile();
            set = Expression.Lambda<Action<TOptions, T?>>(Expression.Assign(access, value), options, value).Compile();
            optional = declaration.ValueType == typeof(double?);
        }

        public T? Get(TOptions options) => get(options);

        public override void Set(TOptions options, object? value) => set(options, (T?)value);

        public override void Fill(TOptions options, TOptions defaults)
        {
            if (get(options) is null) set(options, get(defaults));
        }

        public override void Copy(TOptions source, TOptions target) => set(target, get(source));

        public override void Save(BinaryWriter writer, TOptions options)
        {
            var value = get(options);
            if (optional) writer.Write(value.HasValue);
            // Unset where the layout has no "present" flag throws, as TorchSharp's base does for an unset lr.
            T written = optional ? value.GetValueOrDefault() : value!.Value;
            if (written is bool flag) writer.Write(flag);
            else writer.Write((double)(object)written);
        }

        public override void Load(BinaryReader reader, TOptions options)
        {
            bool present = !optional || reader.ReadBoolean();
            T value = typeof(T) == typeof(bool) ? (T)(object)reader.ReadBoolean() : (T)(object)reader.ReadDouble();
            set(options, present ? value : null);
        }
    }

    /// <summary>The values set in one options object, as the engine reads them.</summary>
    private sealed class Source(OptionsBinder<TEngineOptions, TOptions> binder, TOptions options) : Engine.IHyperparameterSource
    {
        public bool TryGetNumber(Engine.Hyperparameter hyperparameter, out double value) =>
            TryGet(hyperparameter, out value);

        public bool TryGetFlag(Engine.Hyperparameter hyperparameter, out bool value) =>
            TryGet(hyperparameter, out value);

        private bool TryGet<T>(Engine.Hyperparameter hyperparameter, out T value) where T : struct
        {
            var given = ((Slot<T>)binder.slotOf[hyperparameter]).Get(options);
            value = given.GetValueOrDefault();
            return given.HasValue;
        }
    }
}
