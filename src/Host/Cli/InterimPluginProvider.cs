// Temporary plugin discovery (until the PluginRegistry of src/Host/Plugins is merged): every DLL in every
// plugin folder is composed with MEF in the default load context. No isolation, no failure report.
using System.Composition;
using System.Composition.Hosting;
using System.Reflection;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;

namespace PluginMoE.Host.Cli;

/// <summary>Loads plugin exports from plugin folders (interim stand-in for the plugin registry).</summary>
internal sealed class InterimPluginProvider : IPluginProvider
{
    private readonly Dictionary<(PluginKind, string), object> _plugins = [];

    public InterimPluginProvider(IEnumerable<string> pluginDirectories)
    {
        var assemblies = new List<Assembly>();
        foreach (var dir in pluginDirectories.Where(Directory.Exists))
            foreach (var folder in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
                foreach (var dll in Directory.GetFiles(folder, "PluginMoE.Plugins.*.dll").Order(StringComparer.Ordinal))
                    assemblies.Add(Assembly.LoadFrom(dll));
        using var container = new ContainerConfiguration().WithAssemblies(assemblies).CreateContainer();
        Add<IRouterFactory>(container);
        Add<IExpertFactory>(container);
        Add<IMergeStrategy>(container);
        Add<IDatasetLoader>(container);
        Add<ITokenizerFactory>(container);
        Add<IDomainEmbedder>(container);
        var catalog = new ComponentCatalog();
        foreach (var ((kind, name), plugin) in _plugins)
        {
            if (kind == PluginKind.Router) catalog.AddRouter(name, (IRouterFactory)plugin);
            if (kind == PluginKind.Expert) catalog.AddExpert(name, (IExpertFactory)plugin);
        }
        Catalog = catalog;
    }

    public IComponentCatalog Catalog { get; }

    public T Get<T>(PluginKind kind, string name) where T : class
    {
        if (_plugins.TryGetValue((kind, name), out var p)) return (T)p;
        var names = _plugins.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal).ToList();
        throw new KeyNotFoundException($"unknown {kind} plugin '{name}' (available: {(names.Count == 0 ? "none" : string.Join(", ", names))}){NameSuggester.Hint(name, names)}");
    }

    private void Add<T>(CompositionContext container)
    {
        // The export attribute is read from the type: this interim loader does not depend on MEF metadata views.
        foreach (var value in container.GetExports<T>())
            if (value?.GetType().GetCustomAttribute<PluginExportAttribute>() is { ContractMajor: PluginMoE.Abstractions.PluginContract.Major } a)
                _plugins[(Enum.Parse<PluginKind>(a.Kind), a.Name)] = value;
    }
}
