// The first-party plugins as an IPluginProvider, built directly from the referenced plugin assemblies.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
using PluginMoE.Plugins.Datasets;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;

namespace PluginMoE.Host.Tests.Support;

public sealed class TestPlugins : IPluginProvider
{
    private readonly Dictionary<(PluginKind, string), object> _plugins = new()
    {
        [(PluginKind.Router, "linear")] = new LinearRouterFactory(),
        [(PluginKind.Expert, "swiglu")] = new SwiGluExpertFactory(),
        [(PluginKind.Expert, "gelu")] = new GeluExpertFactory(),
        [(PluginKind.DatasetLoader, "text-folder")] = new TextFolderLoader(),
        [(PluginKind.DatasetLoader, "jsonl")] = new JsonlLoader(),
    };

    public static readonly TestPlugins Instance = new();

    public IComponentCatalog Catalog { get; } = new ComponentCatalog()
        .AddRouter("linear", new LinearRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory())
        .AddExpert("gelu", new GeluExpertFactory());

    public T Get<T>(PluginKind kind, string name) where T : class
    {
        if (_plugins.TryGetValue((kind, name), out var p)) return (T)p;
        var names = _plugins.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal).ToList();
        throw new KeyNotFoundException($"unknown {kind} plugin '{name}' (available: {string.Join(", ", names)}){NameSuggester.Hint(name, names)}");
    }
}
