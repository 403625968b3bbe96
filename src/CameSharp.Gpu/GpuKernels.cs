using CameSharp.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CameSharp.Gpu;

/// <summary>
/// The GPU backend: the update rules' passes (<see cref="CameRule"/>, <see cref="AdafactorRule"/>, <see cref="AdamWRule"/>,
/// <see cref="LambRule"/>) as ILGPU kernels on one accelerator (CUDA on a GPU; ILGPU's CPU accelerator runs the same kernels
/// anywhere). A pass over memory is one fused kernel: CAME's factored step crosses memory three times (4 + 12 + 12 bytes
/// a float32 parameter; 2 + 10 + 8 with bfloat16 or float16 θ and g), AdamW once (28; 22). Reductions use fixed trees and add block partials in a fixed order, with no
/// floating-point atomics, so the same inputs give bitwise the same results on every run. Scalars (the RMS clip's
/// Σu², the step size, LAMB's trust ratio) stay on the device as <see cref="GpuScalar"/>s, evaluated by the kernels that
/// use them. docs/gpu-kernels.md gives the passes, their bytes and launches.
/// </summary>
/// <remarks>
/// <para>
/// Synchronisation contract: every pass is queued on the accelerator's default stream and returns at once; none waits
/// for the device. The caller makes the step's inputs (gradients, and anything else written on another stream) ready
/// before the step, and calls <see cref="Accelerator.Synchronize"/> once after it before reading the parameters on the
/// host or on another stream. Within a step the only wait is <see cref="FirstRefused"/>, once, after every gradient has
/// been inspected.
/// </para>
/// <para>
/// Memory: <see cref="Reserve"/> sizes the scratch (column partial sums, row weights) for every shape that will be
/// stepped, before steps begin; scalar slots are recycled by <see cref="BeginStep"/> and grow only when a step needs more
/// than any before it. A step allocates nothing in proportion to the parameters. Tensors are row-major, of fewer than 2³¹
/// elements each, and all live on <see cref="Accelerator"/>.
/// </para>
/// <para>
/// Element types (<see cref="GpuElementType"/>): a parameter θ and its gradient g may be float32, bfloat16 or float16;
/// state tensors are float32. A kernel loads θ and g as float32, computes exactly as for float32 tensors, and stores θ back
/// rounded to nearest, ties to even, so a 16-bit step equals a float32 step from the upcast θ and g whose result is
/// rounded (the official code's upcast and <c>copy_</c>); a bfloat16 θ made with
/// <see cref="GpuTensor.WithStochasticRounding"/> is rounded stochastically instead. A pass given both θ and g takes one
/// element type for both. Each
/// pass checks its tensors' types before it queues anything, so a refused pass changes nothing; a rule's earlier passes
/// of the same step may already have run, so a caller checks its tensors' types before the step. The kernels of an
/// element type are compiled on their first use, or beforehand by <see cref="Prepare"/>.
/// </para>
/// </remarks>
public sealed class GpuKernels : IKernels<GpuTensor, GpuScalar>, IDisposable
{
    private readonly ScalarSlots slots;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> flatPartials;
    private MemoryBuffer1D<float, Stride1D.Dense> columnPartials, columnWeights, rowWeights;

    /// <summary>The instability whose column sums pass 2 left in the partials buffer, for its commit to add up.</summary>
    private ArrayView<float> pendingColumnSums;

    /// <summary>The statistic whose means pass 1 last checked, and the slot of that verdict.</summary>
    private ArrayView<float> checkedMeans;
    private GpuScalar meansVerdict;

    /// <summary>The kernels that read θ or g, one set per <see cref="GpuElementType"/> (indexed by it).</summary>
    private readonly ElementPasses[] elementPasses;
    private readonly ElementPasses stochasticBFloat16;

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape> combineColumns;
    private readonly Action<KernelConfig, FactoredViews, ArrayView<float>, MatrixShape, EmaWeights, ArrayView<double>, ArrayView<double>> finishSquareMeans;
    private readonly Action<KernelConfig, FactoredViews, ArrayView<float>, int, MatrixShape, EmaWeights> commit;
    private readonly Action<KernelConfig, ArrayView<double>, int, ArrayView<double>, ArrayView<double>, int> finishSums;
    private readonly Action<KernelConfig, GpuScalar, GpuScalar, ArrayView<double>> materialise;

    /// <summary>
    /// Compiles the kernels over float32 statistics for <paramref name="accelerator"/>, which the caller owns and keeps alive
    /// while this backend is used. The kernels that read θ or g are compiled on their first use, per element type.
    /// </summary>
    /// <param name="accelerator">The device.</param>
    /// <param name="groupSize">
    /// Threads a group: a power of two in [2, the accelerator's maximum]. Default 256, which fills a GPU's SMs with enough
    /// groups to hide memory latency. Results depend on it (it fixes the reduction trees), so compare runs at one size;
    /// a small size only serves ILGPU's CPU accelerator, whose barriers cost an OS thread switch per thread.
    /// </param>
    public GpuKernels(Accelerator accelerator, int groupSize = 256)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (groupSize < 2 || (groupSize & (groupSize - 1)) != 0 || groupSize > accelerator.MaxNumThreadsPerGroup)
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize,
                $"a power of two in [2, {accelerator.MaxNumThreadsPerGroup}] (the accelerator's most threads a group).");
        Accelerator = accelerator;
        GroupSize = groupSize;
        slots = new ScalarSlots(accelerator);
        flatPartials = accelerator.Allocate1D<double>(2 * FlatPasses.MaxGroups);
        columnPartials = accelerator.Allocate1D<float>(1);
        columnWeights = accelerator.Allocate1D<float>(1);
        rowWeights = accelerator.Allocate1D<float>(1);
        elementPasses = Enum.GetValues<GpuElementType>().Select(type => ElementPasses.For(accelerator, type)).ToArray();
        stochasticBFloat16 = ElementPasses.StochasticBFloat16(accelerator);
        combineColumns = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatrixShape>(
            FactoredPasses.CombineColumns);
        finishSquareMeans = accelerator.LoadStreamKernel<FactoredViews, ArrayView<float>, MatrixShape, EmaWeights, ArrayView<double>, ArrayView<double>>(
            FactoredPasses.FinishSquareMeans);
        commit = accelerator.LoadStreamKernel<FactoredViews, ArrayView<float>, int, MatrixShape, EmaWeights>(FactoredPasses.Commit);
        finishSums = accelerator.LoadStreamKernel<ArrayView<double>, int, ArrayView<double>, ArrayView<double>, int>(FlatPasses.FinishSums);
        materialise = accelerator.LoadStreamKernel<GpuScalar, GpuScalar, ArrayView<double>>(FlatPasses.Materialise);
    }

    /// <summary>Threads a group.</summary>
    public int GroupSize { get; }

    /// <summary>The accelerator the kernels run on; every tensor given to this backend lives in its memory.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Bytes of scratch held for the shapes reserved so far (column partial sums, row and column weights).</summary>
    public long WorkspaceBytes => (columnPartials.Length + columnWeights.Length + rowWeights.Length) * sizeof(float) + flatPartials.Length * sizeof(double);

    /// <inheritdoc/>
    /// <remarks>Allocates, so call it before steps begin (never between a step's passes); a shape already covered costs nothing.</remarks>
    public void Reserve(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2) return;
        var layout = new MatrixLayout(shape);
        Grow(ref columnPartials, 2 * layout.PartialFloats);
        Grow(ref columnWeights, (long)layout.Batches * layout.Cols);
        Grow(ref rowWeights, (long)layout.Batches * layout.Rows);
    }

    private void Grow(ref MemoryBuffer1D<float, Stride1D.Dense> buffer, long floats)
    {
        if (buffer.Length >= floats) return;
        Accelerator.Synchronize();
        buffer.Dispose();
        buffer = Accelerator.Allocate1D<float>(floats);
    }

    /// <summary>
    /// Compiles now the passes that θ and g of <paramref name="type"/> take (with <paramref name="stochasticRounding"/>,
    /// those that write bfloat16 θ stochastically), which otherwise compile when a step first launches them. Call it
    /// before steps begin so that no step pays for compilation or fails partway through it.
    /// </summary>
    /// <exception cref="ArgumentException">Stochastic rounding was asked for a type other than bfloat16.</exception>
    public void Prepare(GpuElementType type, bool stochasticRounding = false)
    {
        if (stochasticRounding && type != GpuElementType.BFloat16)
            throw new ArgumentException($"stochastic rounding writes bfloat16 parameters; {type} rounds to nearest.", nameof(stochasticRounding));
        (stochasticRounding ? stochasticBFloat16 : elementPasses[(int)type]).LoadAll();
    }

    /// <inheritdoc/>
    public void BeginStep()
    {
        slots.Recycle();
        pendingColumnSums = default;
        checkedMeans = default;
    }

    /// <inheritdoc/>
    /// <remarks>Two launches: per-group counts of elements whose square is not finite, then their sum in group order.</remarks>
    public GpuScalar IsUsable(GpuTensor gradient)
    {
        int groups = FlatGroups(gradient.Length);
        Passes(gradient).CountUnusable(Config(groups), gradient, flatPartials.View);
        var (slot, number) = slots.Take();
        finishSums(Config(1), flatPartials.View, groups, slot, default, 1);
        return GpuScalar.Of(ScalarTerm.Value(slot, 1), number);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One pass over g with one group per row block, then (for a matrix of several blocks) one launch adding the column
    /// sums in block order, then one group forming Σu² and the means' verdict (<see cref="MeansAreFinite"/> returns it).
    /// </remarks>
    public GpuScalar FactoredSquareMeans(GpuTensor gradient, Factored<GpuTensor> v, float eps1, double beta2)
    {
        var layout = Layout(v);
        var views = FactoredViews.Of(v, nameof(v));
        var passes = Passes(gradient);
        var ema = new EmaWeights(beta2);
        var weights = columnWeights.View.SubView(0, (long)layout.Batches * layout.Cols);
        if (layout.Split)
        {
            var partials = columnPartials.View.SubView(0, 2 * layout.PartialFloats);
            var sums = partials.SubView(0, layout.PartialFloats);
            var weighted = partials.SubView(layout.PartialFloats, layout.PartialFloats);
            passes.SquareMeans(Config(layout.Groups), gradient, views, rowWeights.View, sums, weighted, layout.Shape, eps1, ema);
            combineColumns(Plain(Blocks((long)layout.Batches * layout.Cols)), sums, weighted, views.ColFactor, weights,
                layout.Shape);
        }
        else
        {
            passes.SquareMeans(Config(layout.Groups), gradient, views, rowWeights.View, views.ColFactor, weights, layout.Shape, eps1, ema);
        }
        var (squares, _) = slots.Take();
        var (verdict, number) = slots.Take();
        finishSquareMeans(Config(1), views, weights, layout.Shape, ema, squares, verdict);
        checkedMeans = views.RowFactor;
        meansVerdict = GpuScalar.Of(ScalarTerm.Value(verdict, 1), number);
        return GpuScalar.Of(ScalarTerm.Value(squares, 1));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// No launch: <see cref="FactoredSquareMeans"/> checks the means as it finishes, and this returns that verdict. It must
    /// therefore follow <see cref="FactoredSquareMeans"/> for the same statistic, as the rules call it.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The last <see cref="FactoredSquareMeans"/> of this step was for another statistic.</exception>
    public GpuScalar MeansAreFinite(Factored<GpuTensor> x)
    {
        if (!SameView(checkedMeans, x.RowFactor.StateView(nameof(x), nameof(x.RowFactor))))
            throw new InvalidOperationException("MeansAreFinite reads the verdict of the FactoredSquareMeans just before it, for the same statistic.");
        return meansVerdict;
    }

    /// <inheritdoc/>
    /// <remarks>Waits for the accelerator once, then reads the step's slots in one copy per thousand slots.</remarks>
    public int FirstRefused(ReadOnlySpan<GpuScalar> verdicts)
    {
        Func<int, double>? read = null;
        for (int i = 0; i < verdicts.Length; i++)
        {
            var verdict = verdicts[i];
            double value = verdict.Slot < 0 ? verdict.Factor : (read ??= slots.ReadInUse())(verdict.Slot);
            if (value == 0) return i;
        }
        return -1;
    }

    /// <inheritdoc/>
    /// <remarks>One launch: a group per matrix for the rows (whose mean needs the whole row vector), and groups of 256 columns.</remarks>
    public void CommitFactored(Factored<GpuTensor> x, double beta)
    {
        var layout = Layout(x);
        var views = FactoredViews.Of(x, nameof(x));
        bool combine = SameView(pendingColumnSums, views.ColFactor);
        if (combine) pendingColumnSums = default;
        ArrayView<float> partials = (combine ? columnPartials.View.SubView(0, layout.PartialFloats) : columnPartials.View).AsContiguous();
        int groups = layout.Batches + Blocks((long)layout.Batches * layout.Cols);
        commit(Config(groups), views, partials, combine ? 1 : 0, layout.Shape, new EmaWeights(beta));
    }

    /// <inheritdoc/>
    /// <remarks>One pass (12 bytes an element), then one group adding the groups' Σu² in order.</remarks>
    public GpuScalar SecondMoment(GpuTensor gradient, GpuTensor v, double beta2, float eps1)
    {
        var state = v.StateView(nameof(v));
        int groups = FlatGroups(gradient.Length);
        Passes(gradient).SecondMoment(Config(groups), gradient, state, new EmaWeights(beta2), eps1, flatPartials.View);
        return Finish(groups);
    }

    /// <inheritdoc/>
    /// <remarks>No launch: the clip becomes a term of the scalar, evaluated by the kernel that uses it.</remarks>
    public GpuScalar ClipScale(GpuScalar updateSquares, long count, double threshold)
    {
        if (updateSquares.IsHostValue)
            return GpuScalar.Host(1.0 / Math.Max(1.0, Math.Sqrt(updateSquares.Factor / count) / threshold));
        var sum = updateSquares.TermCount == 1 && updateSquares.First.Kind == TermKind.Value ? updateSquares : Materialised(updateSquares);
        var term = new ScalarTerm(TermKind.Clip, sum.First.X, default, sum.First.A * sum.Factor, count, threshold, double.NegativeInfinity);
        return GpuScalar.Of(term);
    }

    /// <summary>A float32 full-size state.</summary>
    private static Float32Moment Values(Moment<GpuTensor> moment, string argument) => new(moment.Data.StateView(argument));

    /// <summary>
    /// An 8-bit full-size state of a tensor of <paramref name="length"/> elements whose blocks restart every
    /// <paramref name="rowLength"/>: its codes are the bytes of its float32 words (four to a word, as the CPU engine packs
    /// them), its absmax one float per block.
    /// </summary>
    private static CodedMoment Codes(Moment<GpuTensor> moment, long length, int rowLength, string argument)
    {
        var words = moment.Data.StateView(argument);
        var absmax = moment.Absmax.StateView(argument, nameof(moment.Absmax));
        if (words.Length * 4 < length)
            throw new ArgumentException($"{argument} holds {words.Length * 4} bytes of codes; the tensor has {length} elements.", argument);
        int blocks = Blockwise8Bit.BlockCount(length, rowLength);
        if (absmax.Length != blocks)
            throw new ArgumentException($"{argument}.{nameof(moment.Absmax)} has {absmax.Length} elements; the codes have {blocks} blocks.", argument);
        return new CodedMoment(words.Cast<byte>().SubView(0, length), absmax, rowLength, moment.Encoding == StateEncoding.SignedCodes,
            moment.RoundingKey);
    }

    /// <summary>A launch over an 8-bit state's blocks, one group a block at a time, with shared memory for the block's absmax.</summary>
    private KernelConfig BlockConfig(CodedMoment m) => Config(QuantizedPasses.Groups(m.Blocks));

    /// <summary>The two moments of AdamW or LAMB, both float32 or both 8-bit, as the layouts make them.</summary>
    private static bool BothCoded(Moment<GpuTensor> m, Moment<GpuTensor> v) => m.IsQuantized == v.IsQuantized
        ? m.IsQuantized
        : throw new ArgumentException($"m is {m.Encoding} and v {v.Encoding}: the kernels take both moments in one format.", nameof(v));

    /// <inheritdoc/>
    /// <remarks>
    /// One pass (12 bytes an element; 4 more while there is a column sum to add for the commit) and, when split, none
    /// else. With 8-bit m, a second pass writes the codes (5 + 6 bytes an element), since the first needs every old code.
    /// </remarks>
    public void CameMomentum(GpuTensor gradient, Factored<GpuTensor> v, GpuScalar clip, Moment<GpuTensor> m, double beta1, float eps2,
        Factored<GpuTensor> instability)
    {
        var layout = Layout(instability);
        var target = FactoredViews.Of(instability, nameof(instability));
        var moment = FactoredViews.Of(v, nameof(v));
        var passes = Passes(gradient);
        ArrayView<float> sums = layout.Split ? columnPartials.View.SubView(0, layout.PartialFloats).AsContiguous() : target.ColFactor;
        if (m.IsQuantized)
        {
            var codes = Codes(m, gradient.Length, layout.Cols, nameof(m));
            passes.CameMomentum(Config(layout.Groups), gradient, moment, clip, codes, new EmaWeights(beta1), eps2, target, sums, layout.Shape);
            passes.CameMomentumCodes(BlockConfig(codes), gradient, moment, layout.Shape, clip, codes, new EmaWeights(beta1));
        }
        else
        {
            passes.CameMomentum(Config(layout.Groups), gradient, moment, clip, Values(m, nameof(m)), new EmaWeights(beta1), eps2, target, sums,
                layout.Shape);
        }
        pendingColumnSums = layout.Split ? target.ColFactor : default;
    }

    /// <inheritdoc/>
    public void ConfidenceStep(GpuTensor parameter, Moment<GpuTensor> m, Factored<GpuTensor> instability, float lr, float weightDecay, float stepSize)
    {
        var confidence = FactoredViews.Of(instability, nameof(instability));
        var layout = Layout(instability);
        var passes = Passes(parameter);
        if (m.IsQuantized)
            passes.ConfidenceStep(Plain(FlatGroups(parameter.Length)), parameter, Codes(m, parameter.Length, layout.Cols, nameof(m)), confidence,
                layout.Shape, -lr * weightDecay, stepSize);
        else
            passes.ConfidenceStep(Plain(FlatGroups(parameter.Length)), parameter, Values(m, nameof(m)), confidence, layout.Shape,
                -lr * weightDecay, stepSize);
    }

    /// <inheritdoc/>
    public void MomentumStep(GpuTensor parameter, GpuTensor gradient, GpuTensor v, GpuScalar clip, Moment<GpuTensor> m, double beta1, float lr,
        float weightDecay, float stepSize, bool moveParameters)
    {
        var passes = Passes(parameter, gradient);
        var moment = v.StateView(nameof(v));
        if (m.IsQuantized)
        {
            var codes = Codes(m, gradient.Length, (int)gradient.Length, nameof(m));
            passes.MomentumStep(BlockConfig(codes), parameter, gradient, moment, clip, codes, new EmaWeights(beta1), -lr * weightDecay, stepSize,
                moveParameters ? 1 : 0);
            return;
        }
        passes.MomentumStep(Plain(FlatGroups(gradient.Length)), parameter, gradient, moment, clip, m.Data.StateView(nameof(m)), new EmaWeights(beta1),
            -lr * weightDecay, stepSize, moveParameters ? 1 : 0);
    }

    /// <inheritdoc/>
    public void AdafactorStep(GpuTensor parameter, GpuTensor gradient, Factored<GpuTensor> v, GpuScalar scale, bool momentum, Moment<GpuTensor> m,
        double beta1, GpuScalar decay)
    {
        var passes = Passes(parameter, gradient);
        var moment = FactoredViews.Of(v, nameof(v));
        var layout = Layout(v);
        if (momentum && m.IsQuantized)
        {
            var codes = Codes(m, parameter.Length, layout.Cols, nameof(m));
            passes.FactoredAdafactorStep(BlockConfig(codes), parameter, gradient, moment, scale, codes, new EmaWeights(beta1), decay, layout.Shape);
            return;
        }
        var first = momentum ? m.Data.StateView(nameof(m)) : default;
        passes.FactoredAdafactorStep(Plain(FlatGroups(parameter.Length)), parameter, gradient, moment, scale, first, new EmaWeights(beta1), decay,
            layout.Shape);
    }

    /// <inheritdoc/>
    public void AdafactorStep(GpuTensor parameter, GpuTensor gradient, GpuTensor v, GpuScalar scale, bool momentum, Moment<GpuTensor> m, double beta1,
        GpuScalar decay)
    {
        var passes = Passes(parameter, gradient);
        var moment = v.StateView(nameof(v));
        if (momentum && m.IsQuantized)
        {
            var codes = Codes(m, parameter.Length, (int)parameter.Length, nameof(m));
            passes.AdafactorStep(BlockConfig(codes), parameter, gradient, moment, scale, codes, new EmaWeights(beta1), decay);
            return;
        }
        var first = momentum ? m.Data.StateView(nameof(m)) : default;
        passes.AdafactorStep(Plain(FlatGroups(parameter.Length)), parameter, gradient, moment, scale, first, new EmaWeights(beta1), decay);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Two launches (Σx² per group, then in group order); the root and the division are left to the consuming kernel.
    /// <paramref name="x"/> may be of any element type (the rules take the RMS of θ).
    /// </remarks>
    public GpuScalar Rms(GpuTensor x)
    {
        int groups = FlatGroups(x.Length);
        Passes(x).SumOfSquares(Config(groups), x, flatPartials.View);
        var sum = Finish(groups);
        return GpuScalar.Of(new ScalarTerm(TermKind.Rms, sum.First.X, default, x.Length, 0, 0, double.NegativeInfinity));
    }

    /// <inheritdoc/>
    public GpuScalar Scalar(double value) => GpuScalar.Host(value);

    /// <inheritdoc/>
    /// <remarks>No launch while the product has at most two device terms (every product the rules form); else one thread forms it.</remarks>
    public GpuScalar Multiply(GpuScalar a, GpuScalar b)
    {
        if (a.TermCount + b.TermCount > 2) return Materialised(a, b);
        var terms = new[] { a.First, a.Second, b.First, b.Second }.Where(t => !t.IsOne).ToArray();
        return new GpuScalar(a.Factor * b.Factor, terms.Length > 0 ? terms[0] : ScalarTerm.One, terms.Length > 1 ? terms[1] : ScalarTerm.One, -1);
    }

    /// <inheritdoc/>
    /// <remarks>No launch for a host value or a single device term (the rules' max(RMS(θ), ε2)); else one thread forms a first.</remarks>
    public GpuScalar Max(GpuScalar a, double b)
    {
        if (a.IsHostValue) return GpuScalar.Host(Math.Max(a.Factor, b));
        var single = a.TermCount == 1 && a.Factor == 1 && a.Second.IsOne ? a : Materialised(a);
        return GpuScalar.Of(single.First.AtLeast(b));
    }

    /// <inheritdoc/>
    public void AdamWStep(GpuTensor parameter, GpuTensor gradient, Moment<GpuTensor> m, Moment<GpuTensor> v, float decayFactor, double beta1, double beta2,
        float stepSize, float correction2Sqrt, float eps, bool moveParameters)
    {
        var passes = Passes(parameter, gradient);
        var constants = new FlatPasses.AdamWConstants(decayFactor, beta1, beta2, stepSize, correction2Sqrt, eps, moveParameters);
        if (BothCoded(m, v))
        {
            int n = (int)parameter.Length;
            var first = Codes(m, n, n, nameof(m));
            passes.AdamWStep(BlockConfig(first), parameter, gradient, first, Codes(v, n, n, nameof(v)), constants);
            return;
        }
        passes.AdamWStep(Plain(FlatGroups(parameter.Length)), parameter, gradient, m.Data.StateView(nameof(m)), v.Data.StateView(nameof(v)), constants);
    }

    /// <inheritdoc/>
    /// <remarks>One pass (24 bytes an element), then one group adding both sums in group order.</remarks>
    public (GpuScalar UpdateSquares, GpuScalar ParameterSquares) LambMoments(GpuTensor parameter, GpuTensor gradient, Moment<GpuTensor> m, Moment<GpuTensor> v,
        double beta1, double beta2, LambDirection direction)
    {
        var passes = Passes(parameter, gradient);
        int groups;
        if (BothCoded(m, v))
        {
            int n = (int)parameter.Length;
            var first = Codes(m, n, n, nameof(m));
            groups = QuantizedPasses.Groups(first.Blocks);
            passes.LambMoments(Config(groups), parameter, gradient, first, Codes(v, n, n, nameof(v)), new EmaWeights(beta1), new EmaWeights(beta2),
                direction, flatPartials.View);
        }
        else
        {
            groups = FlatGroups(parameter.Length);
            passes.LambMoments(Config(groups), parameter, gradient, m.Data.StateView(nameof(m)), v.Data.StateView(nameof(v)), new EmaWeights(beta1),
                new EmaWeights(beta2), direction, flatPartials.View);
        }
        var (update, _) = slots.Take();
        var (parameters, _) = slots.Take();
        finishSums(Config(1), flatPartials.View, groups, update, parameters, 0);
        return (GpuScalar.Of(ScalarTerm.Value(update, 1)), GpuScalar.Of(ScalarTerm.Value(parameters, 1)));
    }

    /// <inheritdoc/>
    /// <remarks>No launch: a term of the scalar, evaluated by <see cref="LambStep"/>.</remarks>
    public GpuScalar TrustRatio(GpuScalar parameterSquares, GpuScalar updateSquares)
    {
        var p = AsValue(parameterSquares);
        var u = AsValue(updateSquares);
        return GpuScalar.Of(new ScalarTerm(TermKind.Trust, p.First.X, u.First.X, 0, 0, 0, double.NegativeInfinity));
    }

    /// <inheritdoc/>
    public void LambStep(GpuTensor parameter, Moment<GpuTensor> m, Moment<GpuTensor> v, LambDirection direction, double lr, GpuScalar trust)
    {
        var scale = Multiply(GpuScalar.Host(lr), trust);
        var config = Plain(FlatGroups(parameter.Length));
        if (BothCoded(m, v))
        {
            int n = (int)parameter.Length;
            Passes(parameter).LambStep(config, parameter, Codes(m, n, n, nameof(m)), Codes(v, n, n, nameof(v)), direction, scale);
            return;
        }
        Passes(parameter).LambStep(config, parameter, Values(m, nameof(m)), Values(v, nameof(v)), direction, scale);
    }

    /// <summary>Frees the scratch and the scalar slots; the accelerator stays the caller's.</summary>
    public void Dispose()
    {
        slots.Dispose();
        flatPartials.Dispose();
        columnPartials.Dispose();
        columnWeights.Dispose();
        rowWeights.Dispose();
    }

    private MatrixLayout Layout(Factored<GpuTensor> x)
    {
        var layout = new MatrixLayout(x.Shape);
        if (columnPartials.Length < 2 * layout.PartialFloats || columnWeights.Length < (long)layout.Batches * layout.Cols
            || rowWeights.Length < (long)layout.Batches * layout.Rows)
            throw new InvalidOperationException($"no scratch for shape [{string.Join(", ", x.Shape)}]: call Reserve with it before the step.");
        return layout;
    }

    /// <summary>The kernels for <paramref name="tensor"/>'s element type (θ or g).</summary>
    /// <remarks>A parameter written with stochastic rounding takes the passes whose stores round so; reads are the same.</remarks>
    private ElementPasses Passes(GpuTensor tensor) => tensor.StochasticRounding ? stochasticBFloat16 : elementPasses[(int)tensor.ElementType];

    /// <summary>The kernels for a pass over both θ and g, which takes one element type for both.</summary>
    /// <exception cref="ArgumentException">θ and g differ in element type.</exception>
    private ElementPasses Passes(GpuTensor parameter, GpuTensor gradient) =>
        parameter.ElementType == gradient.ElementType
            ? Passes(parameter)
            : throw new ArgumentException(
                $"the gradient is {gradient.ElementType} and the parameter {parameter.ElementType}: a pass over both takes one element type for both.",
                nameof(gradient));

    private int Blocks(long threads) => (int)((threads + GroupSize - 1) / GroupSize);

    private int FlatGroups(long length) => FlatPasses.Groups(length, GroupSize);

    /// <summary>A launch of <paramref name="groups"/> groups, each with shared memory of one double a thread for its reductions.</summary>
    private KernelConfig Config(int groups) => new(groups, GroupSize, SharedMemoryConfig.RequestDynamic<double>(GroupSize));

    /// <summary>A launch of <paramref name="groups"/> groups for a kernel without reductions.</summary>
    private KernelConfig Plain(int groups) => new(groups, GroupSize);

    /// <summary>The flat partials of <paramref name="groups"/> groups added in order into a new slot.</summary>
    private GpuScalar Finish(int groups)
    {
        var (slot, _) = slots.Take();
        finishSums(Config(1), flatPartials.View, groups, slot, default, 0);
        return GpuScalar.Of(ScalarTerm.Value(slot, 1));
    }

    /// <summary>A scalar as a plain device value (factor 1, prescale 1), formed by one thread if it is anything else.</summary>
    private GpuScalar AsValue(GpuScalar x) =>
        x.TermCount == 1 && x.Factor == 1 && x.First.Kind == TermKind.Value && x.First.A == 1 && double.IsNegativeInfinity(x.First.Floor)
            ? x
            : Materialised(x);

    private GpuScalar Materialised(GpuScalar a) => Materialised(a, GpuScalar.Host(1));

    private GpuScalar Materialised(GpuScalar a, GpuScalar b)
    {
        var (slot, _) = slots.Take();
        materialise(new KernelConfig(1, 1), a, b, slot);
        return GpuScalar.Of(ScalarTerm.Value(slot, 1));
    }

    private static bool SameView(ArrayView<float> a, ArrayView<float> b) =>
        a.IsValid && b.IsValid && a.LoadEffectiveAddressAsPtr() == b.LoadEffectiveAddressAsPtr() && a.Length == b.Length;
}
