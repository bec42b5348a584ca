// Core's component catalog over the discovered plugins: routers and experts come from the registry (with its
// not-found and load-failure messages); options bind exactly as in Core's own catalog.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Plugins;

/// <summary>An <see cref="IComponentCatalog"/> backed by a <see cref="PluginRegistry"/>.</summary>
internal sealed class RegistryCatalog(PluginRegistry registry) : IComponentCatalog
{
    public IRouterFactory Router(string name) => registry.Get<IRouterFactory>(PluginKind.Router, name);

    public IExpertFactory Expert(string name) => registry.Get<IExpertFactory>(PluginKind.Expert, name);

    public object? BindOptions(IPluginFactory factory, JsonObject? options, string keyPath) =>
        ComponentCatalog.BindOptions(this, factory, options, keyPath); // nested (wrapper) options resolve their plugin here
}
