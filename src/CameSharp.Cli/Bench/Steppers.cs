using CameSharp.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CameSharp.Cli.Bench;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>Something that takes optimizer steps over a parameter set whose gradients are already in place.</summary>
internal interface IStepper : IDisposable
{
    void Step();

    /// <summary>A copy of the first parameter's values, so that a check can see a step move it.</summary>
    float[] FirstParameter();

    /// <summary>Bytes of optimizer state held now (after a step), as the optimizer counts them.</summary>
    long StateBytes { get; }
}

/// <summary>The implementations `came bench` measures, by the names bench.json uses.</summary>
internal static class Steppers
{
    /// <summary>
    /// (name, bytes of memory traffic per parameter the algorithm needs, whether it steps arrays in CPU memory and so runs
    /// only with --device cpu, factory taking the parameter set, the thread count and the device of the tensors).
    /// </summary>
    public static readonly (string Name, int BytesPerParam, bool CpuMemoryOnly, Func<ParameterSet, int, Device, IStepper> Create)[] All =
    [
        // CAME: 3 passes: g (means and the clip's sum), g + m read + m written, m + p read + p written.
        ("engine-came", 28, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.Came(ps, new CameOptions { LearningRate = 1e-4 }))),
        // Adafactor with beta1: 2 passes: g (means and the clip's sum), then g, m and p with m and p written.
        ("engine-adafactor", 24, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.Adafactor(ps,
            new AdafactorOptions { RelativeStep = false, ScaleParameter = false, LearningRate = 1e-4, Beta1 = 0.9 }))),
        // AdamW: the gradient scan (g) and the fused pass (g, m, v, p: 28 bytes).
        ("engine-adamw", 32, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.AdamW(ps, new AdamWOptions { LearningRate = 1e-4 }))),
        // LAMB: the scan, moments (g, p, m+m, v+v) and the apply pass (m, v, p+p).
        // 8-bit state (StateFormat.Blockwise8Bit): a full-size moment costs 1 byte read and 1 written instead of 4 and 4
        // (plus 4 bytes of absmax a block of 256, not counted). CAME: g; g + m + m; m + p + p = 4 + 6 + 9.
        ("engine-came-8bit", 19, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.Came(ps, new CameOptions { LearningRate = 1e-4 })
            { StateFormat = StateFormat.Blockwise8Bit })),
        // AdamW: g; g, m + m, v + v, p + p = 4 + 16.
        ("engine-adamw-8bit", 20, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.AdamW(ps, new AdamWOptions { LearningRate = 1e-4 })
            { StateFormat = StateFormat.Blockwise8Bit })),
        ("engine-lamb", 44, true, (set, threads, _) => new EngineStepper(set, threads, ps => new CameSharp.Lamb(ps, new LambOptions { LearningRate = 1e-4 }))),
        // The adapter's fast path for the tensors' device (the engine's kernels on CPU memory); the op path and the port
        // as DESIGN.md's four passes (32 bytes).
        ("torchsharp-came-fast", 28, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => Optim.Came(ps, lr: 1e-4), fast: true)),
        // The same with bfloat16 parameters and gradients (state in float32): θ and g cost 2 bytes, so 2 + (2 + 8) + (4 + 4)
        // on the GPU kernels. On --device cpu it times the torch-op path (the engine's CPU kernels are float32 only).
        ("torchsharp-came-fast-bf16", 20, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => Optim.Came(ps, lr: 1e-4), fast: true,
            ScalarType.BFloat16)),
        // Adafactor with β1 and LAMB through the adapter's fast path, as engine-adafactor and engine-lamb on CPU memory.
        ("torchsharp-adafactor-fast", 24, false, (set, threads, device) => new TorchStepper(set, threads, device,
            ps => Optim.Adafactor(ps, lr: 1e-4, beta1: 0.9, scale_parameter: false, relative_step: false), fast: true)),
        ("torchsharp-lamb-fast", 44, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => Optim.Lamb(ps, lr: 1e-4), fast: true)),
        ("torchsharp-came-ops", 32, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => Optim.Came(ps, lr: 1e-4), fast: false)),
        ("torchsharp-adamw", 28, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => torch.optim.AdamW(ps, lr: 1e-4), fast: false)),
        // CameSharp.TorchSharp's AdamW: on CPU memory the engine's scan and fused pass (as engine-adamw).
        ("torchsharp-adamw-fused", 32, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => Optim.AdamW(ps, lr: 1e-4), fast: true)),
        // 8-bit state through the adapter: the GPU kernels on CUDA (CAME 4 + 5 + 6 + 9, a second launch writing the codes
        // of the factored momentum; AdamW the scan and 16, docs/gpu-kernels.md), the engine's 8-bit kernels on CPU memory
        // (19 and 20, as engine-came-8bit and engine-adamw-8bit).
        ("torchsharp-came-fast-8bit", 24, false, (set, threads, device) => new TorchStepper(set, threads, device,
            ps => EightBit(Optim.Came(ps, lr: 1e-4)), fast: true)),
        ("torchsharp-adamw-fused-8bit", 20, false, (set, threads, device) => new TorchStepper(set, threads, device,
            ps => EightBit(Optim.AdamW(ps, lr: 1e-4)), fast: true)),
        ("came-reference-port", 32, false, (set, threads, device) => new TorchStepper(set, threads, device, ps => new CameReferencePort(ps, lr: 1e-4), fast: false)),
    ];

    /// <summary>The optimizer with <see cref="StateFormat.Blockwise8Bit"/> state.</summary>
    private static T EightBit<T>(T optimizer) where T : ICameSharpOptimizer
    {
        optimizer.StateFormat = StateFormat.Blockwise8Bit;
        return optimizer;
    }

    private sealed class EngineStepper : IStepper
    {
        private readonly Optimizer optimizer;
        private readonly CameSharp.Parameter[] parameters;
        private readonly float[][] gradients;

        public EngineStepper(ParameterSet set, int threads, Func<CameSharp.Parameter[], Optimizer> create)
        {
            var rng = new Random(1);
            var shapes = set.Shapes().ToArray();
            parameters = new CameSharp.Parameter[shapes.Length];
            gradients = new float[shapes.Length][];
            for (int i = 0; i < shapes.Length; i++)
            {
                int n = shapes[i].Aggregate(1, (a, b) => a * b);
                parameters[i] = new CameSharp.Parameter($"p{i}", Fill(n, rng, 0.02f), shapes[i]);
                gradients[i] = Fill(n, rng, 1e-3f);
            }
            optimizer = create(parameters);
            optimizer.DegreeOfParallelism = threads;
        }

        private static float[] Fill(int n, Random rng, float scale)
        {
            var a = GC.AllocateUninitializedArray<float>(n);
            for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            return a;
        }

        /// <summary>A step consumes its gradients, so each is set again first (a reference, no copy), as a training loop does.</summary>
        public void Step()
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = gradients[i];
            optimizer.Step();
        }

        public float[] FirstParameter() => parameters[0].Data.ToArray();

        /// <remarks>The engine counts the factored statistics' scratch factors (a row and a column vector each) too.</remarks>
        public long StateBytes => optimizer.StateBytes;

        public void Dispose() => optimizer.Dispose();
    }

    private sealed class TorchStepper : IStepper
    {
        private readonly optim.Optimizer optimizer;
        private readonly Parameter[] parameters;

        public TorchStepper(ParameterSet set, int threads, Device device, Func<Parameter[], optim.Optimizer> create, bool fast,
            ScalarType dtype = ScalarType.Float32)
        {
            torch.set_num_threads(threads);
            torch.manual_seed(1);
            // The random draws are temporaries: a scope frees them now rather than whenever their finalizers run.
            using (torch.NewDisposeScope())
            {
                parameters = set.Shapes().Select(s => new Parameter((torch.randn(s.Select(d => (long)d).ToArray(), device: device) * 0.02f).to(dtype)))
                    .ToArray();
                foreach (var p in parameters)
                {
                    p.DetachFromDisposeScope();
                    p.grad = (torch.randn(p.shape, device: device) * 1e-3f).to(dtype);
                }
            }
            optimizer = create(parameters);
            if (optimizer is ICameSharpOptimizer ours)
            {
                ours.UseFastPath = fast;
                ours.DegreeOfParallelism = threads;
            }
        }

        public void Step() => optimizer.step();

        public float[] FirstParameter() => parameters[0].detach().cpu().flatten().to(ScalarType.Float32).data<float>().ToArray();

        public long StateBytes => Training.OptimizerFactory.StateBytes(optimizer);

        public void Dispose()
        {
            optimizer.Dispose();
            foreach (var p in parameters) p.Dispose();
        }
    }
}
