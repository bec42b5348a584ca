// The stages' view of the discovered plugins: the model catalog (routers, experts) and any other plugin by
// kind and name, and what failed to load. The CLI adapts the plugin registry to it; tests pass plugins they reference directly.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Services;

/// <summary>Plugins available to a run.</summary>
public interface IPluginProvider
{
    /// <summary>Routers and experts, for building models.</summary>
    IComponentCatalog Catalog { get; }

    /// <summary>The plugin of <paramref name="kind"/> exported as <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such plugin; the message lists the available names and the closest.</exception>
    T Get<T>(PluginKind kind, string name) where T : class;

    /// <summary>What could not be loaded in the plugin directories (one line each: plugin, folder, file, reason), whether or not a profile uses it.</summary>
    IReadOnlyList<string> LoadFailures => [];
}
