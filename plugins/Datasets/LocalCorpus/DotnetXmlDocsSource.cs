// local-corpus source `dotnet-xmldocs`: the .NET SDK's reference-assembly XML documentation
// (packs/Microsoft.NETCore.App.Ref/<version>/ref/net*/*.xml), its summaries and remarks as prose.
namespace PluginMoE.Plugins.Datasets.LocalCorpus;

internal sealed class DotnetXmlDocsSource : LocalSource
{
    public override string Name => "dotnet-xmldocs";

    public override IReadOnlyList<string> DefaultPatterns { get; } = [.. DotnetRoots().Select(r => $"{r}/packs/Microsoft.NETCore.App.Ref/*/ref/net*/*.xml")];

    public override string Hint => "install the .NET SDK (its targeting pack carries the XML docs), or set DOTNET_ROOT";

    // Several installed versions carry the same files: the one from the last version in ordinal order wins.
    public override string DedupKey(string file) => Path.GetFileName(file);

    public override ISourceReader CreateReader() => new XmlDocProse();

    /// <summary>Where .NET installs usually are: DOTNET_ROOT, the running runtime's root, and the usual folders.</summary>
    private static IEnumerable<string> DotnetRoots()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } env) roots.Add(env);
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "";
        if (runtimeDir.Length > 0 && Directory.GetParent(runtimeDir)?.Parent?.Parent is { } root) roots.Add(root.FullName);
        roots.AddRange(["/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet")]);
        return roots.Where(r => r.Length > 0).Select(r => r.TrimEnd('/')).Distinct(StringComparer.Ordinal);
    }
}
