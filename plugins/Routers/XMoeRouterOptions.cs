// Options of the xmoe router plugin (Chi et al. 2022, arXiv 2204.09179; docs/methods.md "xmoe").
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Plugins.Routers;

/// <summary>Options of the <c>xmoe</c> router. k comes from the router spec (<c>Model:Moe:TopK</c>).</summary>
public sealed class XMoeRouterOptions
{
    /// <summary>The paper's form: cosine of the L2-normalised projected token and expert embedding, over a learned temperature.</summary>
    public const string Paper = "paper";

    /// <summary>torchscale's code: projected token (not normalised) dot the L2-normalised expert embedding, no temperature.</summary>
    public const string Code = "code";

    /// <summary>Routing dimension r of <c>W_red</c> (d to r) and of the expert embeddings.</summary>
    [Range(1, 1 << 16)]
    public int RoutingDim { get; set; } = 16;

    /// <summary>Score form: <see cref="Paper"/> (default) or <see cref="Code"/>.</summary>
    [AllowedValues(Paper, Code)]
    public string Form { get; set; } = Paper;

    /// <summary>Initial value of the learned temperature tau (paper form); 0.3 is the paper's value for softmax gating.</summary>
    [Range(1e-6, 100.0)]
    public double InitTemperature { get; set; } = 0.3;

    /// <summary>How the gates are formed from the scores (as for <c>linear</c>).</summary>
    [AllowedValues(LinearRouterOptions.TopKSoftmax, LinearRouterOptions.SoftmaxTopK, LinearRouterOptions.SoftmaxTopKRenormalise)]
    public string Normalize { get; set; } = LinearRouterOptions.TopKSoftmax;
}
