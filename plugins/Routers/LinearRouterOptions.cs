// Options of the linear router plugin (BTX/Mixtral/Switch), docs/methods.md "linear".
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Routers;

/// <summary>Options of the <c>linear</c> router. k comes from the router spec (<c>MoeConfig.TopK</c>).</summary>
public sealed class LinearRouterOptions
{
    /// <summary>Softmax over the k best logits (BTX default; equals Mixtral's softmax-then-renormalise).</summary>
    public const string TopKSoftmax = "topk-softmax";

    /// <summary>Softmax over all n logits, then the k best probabilities without renormalising (DeepSeek-MoE <c>norm_topk_prob=false</c>).</summary>
    public const string SoftmaxTopK = "softmax-topk";

    /// <summary>Softmax over all n logits, the k best probabilities, divided by their sum (Mixtral; the same numbers as <see cref="TopKSoftmax"/>).</summary>
    public const string SoftmaxTopKRenormalise = "softmax-topk-renormalise";

    /// <summary>Top-k routing (default; k = <c>Model:Moe:TopK</c>, gates by <see cref="Normalize"/>).</summary>
    public const string TopKVariant = "top-k";

    /// <summary>Switch Transformer top-1: gate = the chosen expert's softmax probability (needs TopK = 1).</summary>
    public const string SwitchVariant = "switch";

    /// <summary>Soft routing: every expert, gates = the full softmax (needs TopK = number of experts).</summary>
    public const string SoftVariant = "soft";

    /// <summary>BTX sample top-1: Gumbel-softmax with an annealed temperature in training (needs TopK = 1).</summary>
    public const string SampleTop1Variant = "sample-top1";

    /// <summary>Routing variant: <see cref="TopKVariant"/>, <see cref="SwitchVariant"/>, <see cref="SoftVariant"/> or <see cref="SampleTop1Variant"/>.</summary>
    [AllowedValues(TopKVariant, SwitchVariant, SoftVariant, SampleTop1Variant)]
    public string Variant { get; set; } = TopKVariant;

    /// <summary>How top-k gate weights are formed: <see cref="TopKSoftmax"/>, <see cref="SoftmaxTopKRenormalise"/> or <see cref="SoftmaxTopK"/>.</summary>
    [AllowedValues(TopKSoftmax, SoftmaxTopK, SoftmaxTopKRenormalise)]
    public string Normalize { get; set; } = TopKSoftmax;

    /// <summary>Multiplicative input jitter in training (Switch/Mixtral <c>router_jitter_noise</c>): x * U(1 - eps, 1 + eps); 0 disables.</summary>
    [Range(0.0, 1.0)]
    public double JitterNoise { get; set; }

    /// <summary>Standard deviation of the normal init of the router matrix (and of random new rows).</summary>
    [Range(0.0, 10.0)]
    public double InitStd { get; set; } = 0.02;

    /// <summary>What <c>AddExperts</c> does: <c>reset</c> re-initialises every row for n + c experts (the Nexus paper's baseline); <c>expand</c> keeps the old rows.</summary>
    [AllowedValues("reset", "expand")]
    public string ExtendMode { get; set; } = "reset";

    /// <summary>New rows under <c>expand</c>: <c>mean</c> of the old rows, or <c>random</c> normal(0, InitStd).</summary>
    [AllowedValues("mean", "random")]
    public string ExpandInit { get; set; } = "mean";

    /// <summary>Sample top-1: anneal rate r of the Gumbel temperature tau(t) = max(GumbelMinTemperature, exp(-r t)).</summary>
    [Range(0.0, 1.0)]
    public double GumbelAnnealRate { get; set; } = 1e-4;

    /// <summary>Sample top-1: floor of the Gumbel temperature, and the temperature of the noise-free gate in evaluation.</summary>
    [Range(1e-3, 10.0)]
    public double GumbelMinTemperature { get; set; } = 0.5;
}
