// A temporary plugin directory that tests fill with copies of built plugins, corrupt files and the like.
namespace PluginMoE.Host.Tests.Plugins;

internal sealed class PluginDirectory : IDisposable
{
    public PluginDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pluginmoe-plugins-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory (what the host would get as a plugins directory).</summary>
    public string Path { get; }

    /// <summary>Built first-party plugin folder, e.g. <c>Routers</c> for PluginMoE.Plugins.Routers.</summary>
    public static string FirstParty(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "plugins", "PluginMoE.Plugins." + name);

    /// <summary>The built test plugins (PluginMoE.TestPlugins and its helper).</summary>
    public static string TestPlugins => System.IO.Path.Combine(AppContext.BaseDirectory, "test-plugins", "PluginMoE.TestPlugins");

    /// <summary>Copies the files of <paramref name="source"/> (optionally only those <paramref name="include"/> accepts) into folder <paramref name="folder"/>.</summary>
    public string AddFolder(string folder, string source, Func<string, bool>? include = null)
    {
        var target = System.IO.Path.Combine(Path, folder);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
            if (include?.Invoke(System.IO.Path.GetFileName(file)) ?? true)
                File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        return target;
    }

    /// <summary>Writes a file into folder <paramref name="folder"/> (created when needed).</summary>
    public string AddFile(string folder, string name, byte[] content)
    {
        var target = System.IO.Path.Combine(Path, folder);
        Directory.CreateDirectory(target);
        File.WriteAllBytes(System.IO.Path.Combine(target, name), content);
        return target;
    }

    public void Dispose()
    {
        // Loaded plugin DLLs stay mapped on some systems; leftovers in the temp folder are harmless.
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
