// local-corpus source `c-headers`: the C headers under /usr/include.
namespace PluginMoE.Plugins.Datasets.LocalCorpus;

internal sealed class CHeadersSource : LocalSource
{
    public override string Name => "c-headers";

    public override IReadOnlyList<string> DefaultPatterns { get; } = ["/usr/include/**/*.h"];

    public override string Hint => "install libc6-dev (apt-get install libc6-dev linux-libc-dev)";

    public override ISourceReader CreateReader() => new PlainUtf8Reader();
}
