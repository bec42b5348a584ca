// Optional: an expert that is a Hugging Face Llama MLP (down_proj(act(gate_proj x) * up_proj x)), so that the
// checkpoint layout selector can save it in the Llama, Mixtral and DeepSeek-MoE layouts without knowing plugin names.
namespace PluginMoE.Abstractions.Experts;

/// <summary>Implemented by experts that have a Hugging Face MLP form.</summary>
public interface IHuggingFaceExpert
{
    /// <summary>The MLP form, or null when the expert's current configuration has none.</summary>
    HuggingFaceMlp? ToHuggingFace();
}

/// <summary>A Hugging Face Llama MLP: <c>down_proj(act(gate_proj(x)) * up_proj(x))</c>, no biases.</summary>
/// <param name="HiddenAct">The <c>hidden_act</c> of the config (<c>silu</c> for SwiGLU).</param>
/// <param name="IntermediateSize">Inner width of the projections.</param>
public sealed record HuggingFaceMlp(string HiddenAct, int IntermediateSize)
{
    /// <summary>The Llama MLP weight names, relative to the expert.</summary>
    public static IReadOnlyList<string> LlamaWeightNames { get; } = ["gate_proj.weight", "up_proj.weight", "down_proj.weight"];

    /// <summary>Weight names relative to the expert, in the order gate, up, down.</summary>
    public IReadOnlyList<string> WeightNames { get; init; } = LlamaWeightNames;
}
