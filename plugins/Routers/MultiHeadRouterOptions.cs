// Options of the multi-head router plugin (Wu et al. 2024, arXiv 2404.15045; docs/methods.md "multi-head").
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace PluginMoE.Plugins.Routers;

/// <summary>Options of the <c>multi-head</c> router: how many sub-tokens per token and which router routes them.</summary>
public sealed class MultiHeadRouterOptions
{
    /// <summary>Sub-tokens per token h; must divide the model width d (experts take width d/h).</summary>
    [Range(1, 1 << 16)]
    public int Heads { get; set; } = 4;

    /// <summary>Plugin name of the inner router that routes the sub-tokens (<c>xmoe</c>, <c>linear</c>, <c>nexus</c>, ...).</summary>
    [Required]
    public string Inner { get; set; } = XMoeRouterFactory.Name;

    /// <summary>The inner router's options, as its own options section (bound and validated by the host); null for its defaults.</summary>
    public JsonObject? InnerOptions { get; set; }
}
