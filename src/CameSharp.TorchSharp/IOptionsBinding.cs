namespace CameSharp.TorchSharp;

using OptimizerOptions = global::TorchSharp.Modules.OptimizerOptions;

/// <summary>How an optimizer's TorchSharp options map to the engine's options record, derived from its declarations.</summary>
internal interface IOptionsBinding<TEngineOptions>
{
    /// <summary>Empty options (every field unset).</summary>
    OptimizerOptions NewOptions();

    /// <summary>The engine's options for a group: validates, and supplies the engine's defaults for unset values.</summary>
    TEngineOptions ToEngine(OptimizerOptions options);

    /// <summary>Writes the resolved hyperparameters back into the group's options, so that they show every value.</summary>
    void WriteBack(TEngineOptions resolved, OptimizerOptions options);

    /// <summary>Fills unset values of <paramref name="options"/> from <paramref name="defaults"/>.</summary>
    void FillDefaults(OptimizerOptions options, OptimizerOptions defaults);
}
