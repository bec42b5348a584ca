// How a model's plugin components map onto Hugging Face Llama-family modules, as the components report it through
// IHuggingFaceRouter and IHuggingFaceExpert. Checkpoint layouts are chosen from this, never from plugin names.
namespace PluginMoE.Abstractions.Checkpoints;

/// <summary>
/// The Hugging Face form of a model. <see cref="HiddenAct"/> is set when every FFN (dense, routed, shared) is a Llama
/// MLP with that activation at the config's widths; <see cref="RenormalizeTopK"/> is set when every router is a linear
/// softmax gate whose only tensor is <c>gate.weight</c>. Otherwise the matching obstacle says why not.
/// </summary>
public sealed record HuggingFaceForm
{
    /// <summary>The FFNs' <c>hidden_act</c> (e.g. <c>silu</c>), or null when they are not all Llama MLPs.</summary>
    public string? HiddenAct { get; init; }

    /// <summary>Why the FFNs have no Hugging Face form (when <see cref="HiddenAct"/> is null).</summary>
    public string? FfnObstacle { get; init; }

    /// <summary>For an MoE: whether the gates renormalise the top-k probabilities; null when a router has no gate form (or the model is dense).</summary>
    public bool? RenormalizeTopK { get; init; }

    /// <summary>Why the routers have no Hugging Face form (when <see cref="RenormalizeTopK"/> is null in an MoE).</summary>
    public string? RouterObstacle { get; init; }

    /// <summary>Training-time input jitter of the gates (Mixtral's <c>router_jitter_noise</c>; inference ignores it).</summary>
    public double RouterJitterNoise { get; init; }

    /// <summary>
    /// True when the form was read from a file written by another tool (no <c>pluginmoe</c> section): the config's router
    /// options are then not recorded, and the host asks the router plugin (<c>IHuggingFaceRouterFactory</c>) for options
    /// that give this gate.
    /// </summary>
    public bool RouterOptionsFromForm { get; init; }
}
