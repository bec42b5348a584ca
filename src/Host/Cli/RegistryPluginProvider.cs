// The stages' plugin view over the discovered plugin registry.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Cli;

/// <summary>Adapts a <see cref="PluginRegistry"/> to <see cref="IPluginProvider"/>.</summary>
public sealed class RegistryPluginProvider(PluginRegistry registry) : IPluginProvider
{
    /// <summary>The registry behind this provider.</summary>
    public PluginRegistry Registry { get; } = registry ?? throw new ArgumentNullException(nameof(registry));

    /// <inheritdoc/>
    public IComponentCatalog Catalog { get; } = registry.ToCatalog();

    /// <inheritdoc/>
    public T Get<T>(PluginKind kind, string name) where T : class => Registry.Get<T>(kind, name);

    /// <inheritdoc/>
    public IReadOnlyList<string> LoadFailures => [.. Registry.Failures.Select(f => f.Message)];
}
