// The model's view of the plugins: routers and experts by name, and option binding for them. The host
// fills it from MEF discovery; tests fill a ComponentCatalog by hand. Core never names a concrete plugin type.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Core.Composition;

/// <summary>Resolves router and expert plugins by name and binds their JSON options.</summary>
public interface IComponentCatalog
{
    /// <summary>The router factory exported as <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such router; the message lists the available names and the closest match.</exception>
    IRouterFactory Router(string name);

    /// <summary>The expert factory exported as <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such expert; the message lists the available names and the closest match.</exception>
    IExpertFactory Expert(string name);

    /// <summary>
    /// Turns <paramref name="options"/> into an instance of <paramref name="factory"/>'s
    /// <see cref="IPluginFactory.OptionsType"/> (defaults when null) and validates it with DataAnnotations.
    /// Returns null when the factory takes no options. Nested options of an inner plugin
    /// (<see cref="PluginOptionsOfAttribute"/>, e.g. <c>multi-head</c>'s <c>InnerOptions</c>) are bound in the same call
    /// against the inner plugin this catalog resolves; their errors name the full key path and the inner plugin.
    /// </summary>
    /// <param name="factory">The plugin whose options are bound.</param>
    /// <param name="options">The options as JSON, or null.</param>
    /// <param name="keyPath">Where the options came from (e.g. <c>Model:Moe:RouterOptions</c>), used in error messages.</param>
    /// <exception cref="ArgumentException">An unknown key, a value of the wrong type, a value that fails validation, or an unknown inner plugin; the message names the key path, the value and what is allowed.</exception>
    object? BindOptions(IPluginFactory factory, JsonObject? options, string keyPath);
}
