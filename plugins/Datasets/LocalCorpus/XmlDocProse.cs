// Reads a .NET XML documentation file and keeps the prose of each member's <summary> and <remarks>:
// cross references become the referenced name (<see cref="T:System.String"/> -> String), <c> keeps its
// text, <para> starts a paragraph, <code> blocks are left out. One paragraph per member.
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

namespace PluginMoE.Plugins.Datasets.LocalCorpus;

/// <summary>XML documentation -> prose.</summary>
internal sealed partial class XmlDocProse : ISourceReader
{
    public string? Read(string file, long maxBytes, out string problem)
    {
        try
        {
            using var stream = File.OpenRead(file);
            string text = Render(stream, maxBytes);
            problem = text.Length == 0 ? "no <summary> or <remarks> text" : "";
            return text.Length == 0 ? null : text;
        }
        catch (XmlException e)
        {
            problem = $"not well-formed XML: {e.Message}";
            return null;
        }
    }

    /// <summary>The prose of every member's summary and remarks, at most about <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    internal static string Render(Stream xml, long maxBytes)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true, IgnoreProcessingInstructions = true };
        using var reader = XmlReader.Create(xml, settings);
        var all = new StringBuilder();
        long bytes = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element || reader.Name is not ("summary" or "remarks") || reader.IsEmptyElement) continue;
            bool remarks = reader.Name == "remarks";
            var part = new StringBuilder();
            using (var sub = reader.ReadSubtree()) Inline(sub, part);
            string prose = Tidy(part.ToString());
            if (prose.Length == 0) continue;
            string separator = all.Length == 0 ? "" : remarks ? "\n" : "\n\n";
            all.Append(separator).Append(prose);
            bytes += Encoding.UTF8.GetByteCount(prose) + separator.Length;
            if (bytes >= maxBytes) break;
        }
        return all.ToString();
    }

    private static void Inline(XmlReader r, StringBuilder sb)
    {
        r.Read();                                                       // the summary/remarks element itself
        int depth = r.Depth;
        while (r.Read() && r.Depth > depth)
        {
            switch (r.NodeType)
            {
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    sb.Append(r.Value);
                    break;
                case XmlNodeType.Element when r.Name == "code" && !r.IsEmptyElement:
                    using (var code = r.ReadSubtree()) while (code.Read()) { }   // leaves r on </code>
                    break;
                case XmlNodeType.Element when r.Name is "para" or "br" or "list" or "item":
                    sb.Append('\n');
                    break;
                case XmlNodeType.Element when r.Name is "see" or "seealso" or "paramref" or "typeparamref":
                    sb.Append(Reference(r));
                    break;
            }
        }
    }

    // <see cref="M:System.String.Join(System.String,System.String[])"/> -> Join; langword/href/name as given.
    private static string Reference(XmlReader r)
    {
        if (r.GetAttribute("langword") is { } word) return word;
        if (r.GetAttribute("name") is { } name) return name;
        if (r.GetAttribute("cref") is { } cref)
        {
            string s = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
            int paren = s.IndexOf('(', StringComparison.Ordinal);
            if (paren >= 0) s = s[..paren];
            s = s[(s.LastIndexOf('.') + 1)..];
            int tick = s.IndexOf('`', StringComparison.Ordinal);
            return tick >= 0 ? s[..tick] : s;
        }
        return r.GetAttribute("href") ?? "";
    }

    // Collapses the XML's indentation: runs of spaces become one, lines are trimmed, blank lines dropped.
    private static string Tidy(string s) =>
        string.Join('\n', s.Split('\n').Select(l => Spaces().Replace(l, " ").Trim()).Where(l => l.Length > 0));

    [GeneratedRegex(@"[ \t\r]+")]
    private static partial Regex Spaces();
}
