using Engine = CameSharp;

namespace CameSharp.TorchSharp;

/// <summary>The hyperparameters AdamW and LAMB share, as torch.optim names them; null takes the optimizer's default.</summary>
/// <typeparam name="TSelf">The optimizer's options class.</typeparam>
/// <typeparam name="TEngineOptions">The engine's options record, which declares the hyperparameters.</typeparam>
public abstract class AdamMomentsOptions<TSelf, TEngineOptions> : HyperparameterOptions<TSelf, TEngineOptions>
    where TSelf : AdamMomentsOptions<TSelf, TEngineOptions>, new()
    where TEngineOptions : Engine.OptimizerOptions, Engine.IHyperparameterOptions<TEngineOptions>
{
    private protected AdamMomentsOptions() { }

    /// <summary>β1, decay of the first moment (default 0.9).</summary>
    public double? beta1;
    /// <summary>β2, decay of the second moment (default 0.999).</summary>
    public double? beta2;
    /// <summary>ε, added to the bias-corrected √v (default 1e-8 for AdamW, as torch.optim; 1e-6 for LAMB, as apex).</summary>
    public double? eps;
    /// <summary>λ (default 0.01): decoupled decay p ← p·(1 − η·λ) for AdamW, added to the direction before the trust ratio for LAMB.</summary>
    public double? weight_decay;
}
