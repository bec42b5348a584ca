// local-corpus source `man-pages`: the English manual pages under /usr/share/man/man*/ (gzip or plain troff),
// rendered to text by TroffText; pages that only redirect to another page (.so) are skipped.
using System.Text;

namespace PluginMoE.Plugins.Datasets.LocalCorpus;

internal sealed class ManPagesSource : LocalSource
{
    public override string Name => "man-pages";

    public override IReadOnlyList<string> DefaultPatterns { get; } = ["/usr/share/man/man*/*"];

    public override string Hint => "install man pages (apt-get install manpages man-db; minimal images exclude /usr/share/man in /etc/dpkg/dpkg.cfg.d)";

    public override ISourceReader CreateReader() => new Reader();

    private sealed class Reader : ISourceReader
    {
        private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

        public string? Read(string file, long maxBytes, out string problem)
        {
            byte[] bytes;
            try
            {
                using var stream = JsonlLoader.OpenMaybeGzip(file);
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            catch (InvalidDataException e)
            {
                problem = $"not a readable gzip file: {e.Message}";
                return null;
            }
            string source;
            // Old pages are Latin-1; decode strictly as UTF-8 first.
            try { source = Strict.GetString(bytes); }
            catch (DecoderFallbackException) { source = Encoding.Latin1.GetString(bytes); }
            string? text = TroffText.Render(source);
            if (text is null) { problem = "a link to another page (.so)"; return null; }
            problem = "";
            int max = (int)Math.Min(int.MaxValue, maxBytes);
            if (Encoding.UTF8.GetByteCount(text) <= max) return text;
            var cut = Encoding.UTF8.GetBytes(text);
            return Encoding.UTF8.GetString(cut, 0, Utf8File.WholeCharacterPrefix(cut.AsSpan(0, max)));
        }
    }
}
