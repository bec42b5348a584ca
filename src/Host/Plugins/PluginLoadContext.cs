// One plugin folder's AssemblyLoadContext: the folder's own dependencies come from its .deps.json files (or
// the folder itself); the shared contract assemblies come from the host's context so that types match.
using System.Reflection;
using System.Runtime.Loader;

namespace PluginMoE.Host.Plugins;

/// <summary>Isolates one plugin folder's assemblies from the host and from other plugins.</summary>
internal sealed class PluginLoadContext(string folder) : AssemblyLoadContext($"plugin:{folder}", isCollectible: false)
{
    private readonly List<AssemblyDependencyResolver> _resolvers = [];

    /// <summary>Adds a plugin assembly whose <c>.deps.json</c> lists dependencies to resolve.</summary>
    public void AddComponent(string assemblyPath) => _resolvers.Add(new AssemblyDependencyResolver(assemblyPath));

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Null hands the request to the default context, which supplies the host's copy.
        if (SharedAssemblies.IsShared(assemblyName.Name)) return null;
        foreach (var resolver in _resolvers)
            if (resolver.ResolveAssemblyToPath(assemblyName) is { } path) return LoadFromAssemblyPath(path);
        // A DLL copied in by hand (no .deps.json entry) is still found next to the plugin.
        var local = Path.Combine(folder, assemblyName.Name + ".dll");
        return File.Exists(local) ? LoadFromAssemblyPath(local) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var resolver in _resolvers)
            if (resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path) return LoadUnmanagedDllFromPath(path);
        return IntPtr.Zero;
    }
}
