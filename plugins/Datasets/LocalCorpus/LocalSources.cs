// The named sources of the local-corpus loader.
namespace PluginMoE.Plugins.Datasets.LocalCorpus;

/// <summary>Every <see cref="LocalSource"/> by name.</summary>
internal static class LocalSources
{
    private static readonly LocalSource[] All =
        [new ManPagesSource(), new PythonStdlibSource(), new DotnetXmlDocsSource(), new LicensesSource(), new CHeadersSource()];

    /// <summary>Source names, in the order above.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(s => s.Name)];

    /// <summary>The source called <paramref name="name"/>.</summary>
    public static LocalSource Get(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"local-corpus: unknown source '{name}'; sources: {string.Join(", ", Names)}");
}
