// local-corpus source `licenses`: licence texts (/usr/share/common-licenses) and the Debian copyright files of
// installed packages, with every paragraph kept only the first time it appears (the same GPL notice is in
// hundreds of copyright files).
using System.Text;
using System.Text.RegularExpressions;

namespace PluginMoE.Plugins.Datasets.LocalCorpus;

internal sealed partial class LicensesSource : LocalSource
{
    public override string Name => "licenses";

    public override IReadOnlyList<string> DefaultPatterns { get; } = ["/usr/share/common-licenses/*", "/usr/share/doc/*/copyright"];

    public override string Hint => "install base-files (it ships /usr/share/common-licenses)";

    public override ISourceReader CreateReader() => new ParagraphDedupReader();

    /// <summary>Keeps each paragraph (blank-line separated, compared with whitespace collapsed) only once per load.</summary>
    internal sealed partial class ParagraphDedupReader : ISourceReader
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public string? Read(string file, long maxBytes, out string problem)
        {
            string? text = Utf8File.TryRead(file, maxBytes, out problem);
            if (text is null) return null;
            var kept = new StringBuilder();
            int total = 0, dropped = 0;
            foreach (var paragraph in BlankLines().Split(text.Replace("\r\n", "\n", StringComparison.Ordinal)))
            {
                string trimmed = paragraph.Trim('\n');
                if (trimmed.Trim().Length == 0) continue;
                total++;
                if (!_seen.Add(Spaces().Replace(trimmed, " ").Trim())) { dropped++; continue; }
                if (kept.Length > 0) kept.Append("\n\n");
                kept.Append(trimmed);
            }
            if (kept.Length == 0)
            {
                problem = $"all {total} paragraphs already seen in earlier files";
                return null;
            }
            return kept.ToString();
        }

        [GeneratedRegex(@"\n[ \t]*\n")]
        private static partial Regex BlankLines();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Spaces();
    }
}
