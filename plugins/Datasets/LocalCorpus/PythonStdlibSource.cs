// local-corpus source `python-stdlib`: the Python standard library's modules (site/dist-packages excluded).
namespace PluginMoE.Plugins.Datasets.LocalCorpus;

internal sealed class PythonStdlibSource : LocalSource
{
    public override string Name => "python-stdlib";

    public override IReadOnlyList<string> DefaultPatterns { get; } = ["/usr/lib/python3*/**/*.py", "/usr/local/lib/python3*/**/*.py"];

    public override string Hint => "install python3 (apt-get install python3-minimal libpython3-stdlib)";

    public override bool Accept(string file) =>
        !file.Contains("/site-packages/", StringComparison.Ordinal) && !file.Contains("/dist-packages/", StringComparison.Ordinal);

    public override ISourceReader CreateReader() => new PlainUtf8Reader();
}

/// <summary>Reads a file as strict UTF-8 (binary and invalid files are skipped).</summary>
internal sealed class PlainUtf8Reader : ISourceReader
{
    public string? Read(string file, long maxBytes, out string problem) => Utf8File.TryRead(file, maxBytes, out problem);
}
