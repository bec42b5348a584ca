// Loads one plugin folder: picks its plugin assemblies (those referencing PluginMoE.Abstractions), loads them in
// the folder's own context, composes their MEF exports and creates each export once. Every problem becomes a
// PluginLoadFailure naming the folder, the file and the reason; nothing here throws for a broken plugin.
using System.Composition;
using System.Composition.Hosting;
using System.Reflection;
using PluginMoE.Abstractions;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Host.Plugins;

/// <summary>An export that was created, with what is known about it.</summary>
internal sealed record LoadedExport(DiscoveredPlugin Plugin, object Instance);

/// <summary>Loads the plugins of one folder in isolation from the other folders.</summary>
internal sealed class PluginFolderLoader
{
    /// <summary>What <see cref="DiscoveredPlugin.SourceFolder"/> says for plugins built into the host.</summary>
    public const string BuiltInFolder = "(built in)";

    /// <summary>The vendor of first-party and built-in plugins.</summary>
    public const string FirstPartyVendor = "pluginmoe";

    private readonly string _folder;
    private readonly bool _firstParty;
    private readonly List<LoadedExport> _exports = [];
    private readonly List<PluginLoadFailure> _failures = [];
    // Where each (kind, name) is declared, to name the file of an export that fails before it exists.
    private readonly Dictionary<(string Kind, string Name), (Type Type, string File)> _declared = [];

    private PluginFolderLoader(string folder, bool firstParty)
    {
        _folder = folder;
        _firstParty = firstParty;
    }

    /// <summary>Loads the DLLs <paramref name="files"/> of <paramref name="folder"/> (one load context for all of them).</summary>
    public static (IReadOnlyList<LoadedExport> Exports, IReadOnlyList<PluginLoadFailure> Failures) Load(string folder, IReadOnlyList<string> files, bool firstParty = false)
    {
        var loader = new PluginFolderLoader(folder, firstParty);
        loader.Run(files);
        return (loader._exports, loader._failures);
    }

    /// <summary>The plugins exported by <paramref name="assembly"/>, an assembly of the host itself (such as Core's byte tokenizer).</summary>
    public static (IReadOnlyList<LoadedExport> Exports, IReadOnlyList<PluginLoadFailure> Failures) LoadBuiltIn(Assembly assembly)
    {
        var loader = new PluginFolderLoader(BuiltInFolder, firstParty: true);
        loader.Declare(assembly, Path.GetFileName(assembly.Location));
        loader.Compose([assembly]);
        return (loader._exports, loader._failures);
    }

    private void Run(IReadOnlyList<string> files)
    {
        var candidates = files.Where(IsPluginAssembly).ToList();
        if (candidates.Count == 0) return;
        var context = new PluginLoadContext(_folder);
        var assemblies = new List<Assembly>();
        foreach (var path in candidates)
        {
            try
            {
                context.AddComponent(path);
                var assembly = context.LoadFromAssemblyPath(path);
                CheckReferences(context, assembly);
                Declare(assembly, Path.GetFileName(path));
                assemblies.Add(assembly);
            }
            catch (PluginFileException e) { Fail(Path.GetFileName(path), e.Message, e.InnerException); }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException or InvalidOperationException)
            {
                Fail(Path.GetFileName(path), $"cannot be loaded: {e.GetType().Name}: {e.Message}", e);
            }
        }
        if (assemblies.Count > 0) Compose(assemblies);
    }

    /// <summary>True for DLLs built against the contracts; records files that are not .NET assemblies or target another contract.</summary>
    private bool IsPluginAssembly(string path)
    {
        var file = Path.GetFileName(path);
        // A plugin folder may carry copies of the contracts (a plain `dotnet build` output does); the host's are used.
        if (SharedAssemblies.IsShared(Path.GetFileNameWithoutExtension(path))) return false;
        AssemblyFacts facts;
        try { facts = AssemblyInspector.Read(path); }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            Fail(file, $"cannot be loaded: it is not a valid .NET assembly ({e.Message}); remove it or replace it with a fresh build of the plugin", e);
            return false;
        }
        if (facts.AbstractionsVersion is not { } version) return false; // a dependency of a plugin, not a plugin
        if (version.Major == PluginContract.Major) return true;
        Fail(file, VersionReason(version.Major));
        return false;
    }

    /// <summary>Resolves every reference now, so a missing dependency is reported by name instead of failing later inside MEF.</summary>
    private static void CheckReferences(PluginLoadContext context, Assembly assembly)
    {
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            try { context.LoadFromAssemblyName(reference); }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException)
            {
                if (SharedAssemblies.IsShared(reference.Name))
                {
                    var host = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == reference.Name)?.GetName().Version;
                    throw new PluginFileException(
                        $"cannot be loaded: it was built against {reference.Name} {reference.Version}, but this host provides " +
                        $"{(host is null ? "no copy of it" : host.ToString())}; rebuild the plugin against the host's version", e);
                }
                throw new PluginFileException(
                    $"cannot be loaded: it depends on '{reference.FullName}', which is neither in the plugin folder (nor listed in " +
                    $"its .deps.json) nor provided by the host; copy {reference.Name}.dll into the folder (the output of " +
                    "`dotnet publish` carries every dependency)", e);
            }
        }
    }

    private void Declare(Assembly assembly, string file)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            var first = e.LoaderExceptions.FirstOrDefault(x => x is not null);
            throw new PluginFileException($"cannot be loaded: reading its types failed: {first?.Message ?? e.Message}", first ?? e);
        }
        foreach (var type in types)
            if (type.GetCustomAttribute<PluginExportAttribute>() is { } export)
                _declared.TryAdd((export.Kind, export.Name), (type, file));
    }

    private void Compose(List<Assembly> assemblies)
    {
        CompositionHost container;
        try { container = new ContainerConfiguration().WithAssemblies(assemblies).CreateContainer(); }
        catch (Exception e)
        {
            foreach (var a in assemblies) Fail(Path.GetFileName(a.Location), $"MEF composition of its exports failed: {Innermost(e).Message}", e);
            return;
        }
        // The container lives as long as the process: it owns the created exports.
        Collect<IRouterFactory>(container, PluginKind.Router, assemblies);
        Collect<IExpertFactory>(container, PluginKind.Expert, assemblies);
        Collect<IMergeStrategy>(container, PluginKind.MergeStrategy, assemblies);
        Collect<IDatasetLoader>(container, PluginKind.DatasetLoader, assemblies);
        Collect<ITokenizerFactory>(container, PluginKind.Tokenizer, assemblies);
        Collect<IDomainEmbedder>(container, PluginKind.DomainEmbedder, assemblies);
        Collect<IDocumentClusterer>(container, PluginKind.DocumentClusterer, assemblies);
    }

    private void Collect<T>(CompositionHost container, PluginKind kind, List<Assembly> assemblies) where T : class
    {
        List<ExportFactory<T, PluginMetadata>> factories;
        try { factories = [.. container.GetExports<ExportFactory<T, PluginMetadata>>()]; }
        catch (Exception e)
        {
            foreach (var a in assemblies)
                Fail(Path.GetFileName(a.Location),
                    $"reading its {PluginKinds.Display(kind)} exports failed: {Innermost(e).Message} (export plugins with [Export{kind}(\"name\")], not a plain [Export])", e);
            return;
        }
        foreach (var factory in factories)
        {
            var meta = factory.Metadata;
            var (type, file) = _declared.TryGetValue((kind.ToString(), meta.Name), out var d) ? d : (null, "");
            if (meta.ContractMajor != PluginContract.Major)
            {
                Fail(file, VersionReason(meta.ContractMajor), null, meta.Name, kind);
                continue;
            }
            object instance;
            try { instance = factory.CreateExport().Value; }
            catch (Exception e)
            {
                var cause = Innermost(e);
                Fail(file, $"creating its export {type?.FullName ?? typeof(T).Name} threw {cause.GetType().Name}: {cause.Message}", cause, meta.Name, kind);
                continue;
            }
            var assembly = instance.GetType().Assembly;
            var plugin = new DiscoveredPlugin(kind, meta.Name, meta.Description, $"{meta.ContractMajor}.{meta.ContractMinor}", _folder, assembly.Location)
            {
                Version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                    ?? assembly.GetName().Version?.ToString() ?? "",
                TypeName = instance.GetType().FullName ?? instance.GetType().Name,
                FirstParty = _firstParty,
                Vendor = _firstParty ? FirstPartyVendor : assembly.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company is { Length: > 0 } company
                    ? company : assembly.GetName().Name ?? Path.GetFileNameWithoutExtension(assembly.Location),
            };
            _exports.Add(new LoadedExport(plugin, instance));
        }
    }

    private static string VersionReason(int major) =>
        $"built against PluginMoE.Abstractions contract {major}.x, but this host supports {PluginContract.Major}.x; " +
        $"rebuild it against the PluginMoE.Abstractions {PluginContract.Major}.x package";

    /// <summary>The exception a plugin threw, without the reflection and composition wrappers around it.</summary>
    private static Exception Innermost(Exception e)
    {
        while (e is TargetInvocationException or CompositionFailedException or TypeInitializationException && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private void Fail(string file, string reason, Exception? exception = null, string? name = null, PluginKind? kind = null) =>
        _failures.Add(new PluginLoadFailure(_folder, file, reason, name, kind) { Exception = exception });

    /// <summary>A file-level failure whose message is already written for the user.</summary>
    private sealed class PluginFileException(string message, Exception inner) : Exception(message, inner);
}
