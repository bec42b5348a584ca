// A router's inference form: the module to put in the layer and how a checkpoint config names it.
using System.Text.Json.Nodes;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// What <see cref="IRouter.ToInference"/> returns. When <see cref="Plugin"/> is null the configured plugin and
/// options still describe <see cref="Router"/> (it is the same router, or one that the same config rebuilds);
/// otherwise the host swaps <see cref="Router"/> into the layer and rewrites the config's router to
/// <see cref="Plugin"/> with <see cref="Options"/> (e.g. a frozen <c>nexus</c> becomes <c>linear</c> whose weight is E).
/// The router's parameter names must be what that plugin builds, so the rewritten checkpoint loads.
/// </summary>
/// <param name="Router">The inference router (in eval mode it routes exactly as the original did).</param>
public sealed record RouterInferenceForm(RouterModule Router)
{
    /// <summary>Router plugin name of the inference form, or null when the configured plugin and options still apply.</summary>
    public string? Plugin { get; init; }

    /// <summary>Options of <see cref="Plugin"/> as configuration JSON (its options class's property names), or null for its defaults.</summary>
    public JsonObject? Options { get; init; }

    /// <summary>True when the configured router plugin and options still describe the inference form.</summary>
    public bool IsUnchanged => Plugin is null;

    /// <summary>The router itself, under its configured plugin and options.</summary>
    public static RouterInferenceForm Unchanged(RouterModule router)
    {
        ArgumentNullException.ThrowIfNull(router);
        return new RouterInferenceForm(router);
    }
}
