// Optional: a router that can describe itself as a Hugging Face gate (Mixtral's block_sparse_moe.gate, DeepSeek-MoE's
// mlp.gate): p = softmax(x W^T) over all n experts, the k largest p, optionally renormalised to sum to one.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// Implemented by routers whose inference routing is a Hugging Face linear gate. The checkpoint layout selector asks
/// the model's routers (after <see cref="IRouter.ToInference"/>) instead of knowing plugin names; options that only
/// affect training (initialisation, jitter) do not matter here.
/// </summary>
public interface IHuggingFaceRouter
{
    /// <summary>The gate, or null when the router's current configuration is not a plain linear softmax gate.</summary>
    HuggingFaceGate? ToHuggingFace();
}

/// <summary>A Hugging Face linear gate.</summary>
/// <param name="Weight">(n, d) gate weight: logits = x W^T.</param>
/// <param name="RenormalizeTopK">True when the k chosen probabilities are renormalised to sum to one (Mixtral always;
/// DeepSeek-MoE <c>norm_topk_prob = true</c>); false when they are used as they are (<c>norm_topk_prob = false</c>).</param>
public sealed record HuggingFaceGate(Tensor Weight, bool RenormalizeTopK)
{
    /// <summary>Training-time multiplicative input jitter (Mixtral's <c>router_jitter_noise</c>); 0 for none.</summary>
    public double JitterNoise { get; init; }
}

/// <summary>
/// Implemented by router factories whose routers can be a Hugging Face gate: gives the plugin options under which its
/// router is that gate (with parameter <c>weight</c> (n, d)), so checkpoints written by other tools (which name no plugin)
/// load with this router.
/// </summary>
public interface IHuggingFaceRouterFactory
{
    /// <summary>Options (configuration JSON) for a gate that renormalises the top-k probabilities or not, with the given training jitter; null when the plugin cannot be that gate.</summary>
    System.Text.Json.Nodes.JsonObject? OptionsFor(bool renormalizeTopK, double jitterNoise);
}
