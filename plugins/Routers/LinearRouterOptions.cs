// Options of the linear router plugin (BTX/Mixtral), METHODS.md "BTX linear router".
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Routers;

/// <summary>Options of the <c>linear</c> router. k comes from the router spec (<c>MoeConfig.TopK</c>).</summary>
public sealed class LinearRouterOptions
{
    /// <summary>Softmax over the k best logits (BTX default; equals Mixtral's softmax-then-renormalise).</summary>
    public const string TopKSoftmax = "topk-softmax";

    /// <summary>Softmax over all n logits, then the k best probabilities without renormalising (DeepSeek-MoE <c>norm_topk_prob=false</c>).</summary>
    public const string SoftmaxTopK = "softmax-topk";

    /// <summary>How gate weights are formed: <see cref="TopKSoftmax"/> or <see cref="SoftmaxTopK"/>.</summary>
    [AllowedValues(TopKSoftmax, SoftmaxTopK)]
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
}
