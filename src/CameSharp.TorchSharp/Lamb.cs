using static TorchSharp.torch.optim;
using Engine = CameSharp;

namespace CameSharp.TorchSharp;

using Parameter = global::TorchSharp.Modules.Parameter;

/// <summary>LAMB (apex FusedLAMB semantics) as a TorchSharp optimizer; the math is the engine's <see cref="Engine.Lamb"/>.</summary>
public sealed class Lamb : CameSharpOptimizer<Engine.LambOptions>, IBetas
{
    internal Lamb(IEnumerable<ParamGroup> groups, Options defaults) : base(new Engine.LambRule(), Options.Binder, defaults, groups)
    {
    }

    /// <summary>(β1, β2) of the defaults.</summary>
    public (double, double) Betas
    {
        get => ((Options)_defaults).Betas;
        set => ((Options)_defaults).Betas = value;
    }

    /// <summary>LAMB's hyperparameters for a param group; null takes the optimizer's default, then apex's.</summary>
    public sealed class Options : HyperparameterOptions<Options, Engine.LambOptions>
    {
        /// <summary>β1 (default 0.9).</summary>
        public double? beta1;
        /// <summary>β2 (default 0.999).</summary>
        public double? beta2;
        /// <summary>ε (default 1e-6).</summary>
        public double? eps;
        /// <summary>λ, added to the direction before the trust ratio (default 0.01).</summary>
        public double? weight_decay;

        internal override (double, double) Betas
        {
            get => (beta1!.Value, beta2!.Value);
            set => (beta1, beta2) = value;
        }
    }

    /// <summary>A param group of LAMB.</summary>
    public sealed class ParamGroup : CameSharpParamGroup<Options, Engine.LambOptions>
    {
        /// <summary>An empty group.</summary>
        public ParamGroup() { }

        /// <summary>A group of <paramref name="parameters"/> with <paramref name="options"/> (null fields take the optimizer's defaults).</summary>
        public ParamGroup(IEnumerable<Parameter> parameters, Options? options = null) : base(parameters, options) { }
    }
}
