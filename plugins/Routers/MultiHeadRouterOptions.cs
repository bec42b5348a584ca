// Options of the multi-head router plugin (Wu et al. 2024, arXiv 2404.15045; docs/methods.md "multi-head").
using System.ComponentModel.DataAnnotations;
using PluginMoE.Abstractions.Composition;

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

    /// <summary>
    /// The inner router's options section: the host binds it against <see cref="Inner"/>'s options type when it binds these
    /// options (once per model, errors keyed <c>...:RouterOptions:InnerOptions:&lt;key&gt;</c>); null for its defaults.
    /// </summary>
    [PluginOptionsOf(PluginKind.Router, nameof(Inner))]
    public NestedPluginOptions? InnerOptions { get; set; }
}
