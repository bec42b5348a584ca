// Property tests (CsCheck) of the jsonl dataset loader (plugins/Datasets/JsonlLoader): for files of arbitrary lines
// (valid objects with the text field and other fields, every escape style, a BOM at the start, CRLF or LF, blank lines,
// a truncated last line, non-string or missing text, invalid JSON, escaped lone surrogates) every valid line loads its
// text exactly and in order, and every other non-blank line is reported as skipped with the file and its line number;
// past MaxMalformedFraction the load fails naming the file and the first bad lines.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsCheck;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Core.Tests.Properties;

public sealed class JsonlPropertyTests
{
    private sealed class Recording : IDatasetDiagnostics
    {
        public List<(string Source, long? Line, string Reason)> Skips { get; } = [];
        public void Skipped(string source, long? line, string reason) => Skips.Add((source, line, reason));
        public void Info(string message) { }
    }

    private static readonly string[] Pieces =
    [
        "a", "word", " ", "\t", "\n", "\r\n", "\r", "\0", "\"", "\\", "/", "\b\f", "\u001F", "é", "世界", "\U0001F642", "e\u0301", "\u2028\u2029",
        "\uFEFF", "</script>", "<|endoftext|>", "{\"text\": 1}", "'", "&+",
    ];

    private static readonly Gen<string> Text = Gen.Int[0, Pieces.Length - 1].Array[0, 12].Select(a => string.Concat(a.Select(i => Pieces[i])));

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A line: its JSON text and the text it must load as (null: it must be reported as skipped; "" blank: ignored).</summary>
    private sealed record Line(string Json, string? Expected, bool Blank = false);

    private static readonly Gen<Line> LineGen = Gen.Select(Gen.Int[0, 9], Text, Gen.Int[0, 3], (kind, text, style) =>
    {
        // Default escaping (\uXXXX for non-ASCII) or raw UTF-8, with the text field first, last or between others.
        string s = style % 2 == 0 ? JsonSerializer.Serialize(text) : JsonSerializer.Serialize(text, Relaxed);
        string meta = "\"meta\": {\"redpajama_set_name\": \"web\", \"n\": [1, 2.5e3, null, true]}";
        return kind switch
        {
            <= 3 => new Line(style < 2 ? $"{{\"text\": {s}, {meta}}}" : $"{{ {meta} , \"id\":7,\"text\":{s} }}", text),
            4 => new Line(style % 2 == 0 ? "" : " \t ", null, Blank: true),
            5 => new Line($"{{\"text\": {(style switch { 0 => "5", 1 => "null", 2 => "[\"a\"]", _ => "{\"t\": \"a\"}" })}, {meta}}}", null),
            6 => new Line($"{{\"body\": {s}, {meta}}}", null),
            7 => new Line(style % 2 == 0 ? $"[{s}]" : $"{{\"text\": {s}, {meta}", null),
            8 => new Line($"{{\"text\": \"a\\u{(style % 2 == 0 ? "D800" : "DC00")}b\", {meta}}}", null), // an escaped lone surrogate
            _ => new Line($"{{\"text\": {s}}}", null), // no domain field
        };
    });

    private static void Check(Line[] lines, bool bom, bool crlf, int truncateLast)
    {
        var dir = Directory.CreateTempSubdirectory("props-jsonl-");
        try
        {
            var body = new StringBuilder();
            var expected = new List<string>();
            var skipped = new List<long>();
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                string json = line.Json;
                bool last = i == lines.Length - 1;
                if (last && truncateLast > 0 && json.Length > 1)
                {
                    // A file cut inside its last line (no newline after it); a valid object cut short is never valid JSON.
                    json = json[..(truncateLast % (json.Length - 1) + 1)];
                    if (json.TrimEnd() != line.Json.TrimEnd()) line = line with { Expected = null };
                }
                body.Append(json);
                if (!(last && truncateLast > 0)) body.Append(crlf ? "\r\n" : "\n");
                if (line.Blank || string.IsNullOrWhiteSpace(json)) continue;
                if (line.Expected is { } text) expected.Add(text); else skipped.Add(i + 1);
            }
            string file = Path.Combine(dir.FullName, "c.jsonl");
            byte[] bytes = new UTF8Encoding(false).GetBytes(body.ToString());
            File.WriteAllBytes(file, bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes);

            var diagnostics = new Recording();
            var docs = new JsonlLoader().Load(new DatasetRequest
            {
                Options = new JsonlOptions { Paths = ["c.jsonl"], MaxMalformedFraction = 1.0 }, BaseDirectory = dir.FullName, Diagnostics = diagnostics,
            }).ToList();
            Assert.Equal(expected, docs.Select(d => d.Text));
            Assert.All(docs, d => Assert.Equal("web", d.Domain));
            Assert.Equal(skipped, diagnostics.Skips.Select(s => s.Line!.Value));
            Assert.All(diagnostics.Skips, s => Assert.Equal(file, s.Source));

            if (skipped.Count > 0)
            {
                var e = Assert.Throws<InvalidDataException>(() => new JsonlLoader().Load(new DatasetRequest
                {
                    Options = new JsonlOptions { Paths = ["c.jsonl"], MaxMalformedFraction = 0 }, BaseDirectory = dir.FullName,
                }).ToList());
                Assert.Contains(file, e.Message);
                Assert.Contains($"first at lines {string.Join(", ", skipped.Take(5))}", e.Message);
            }
        }
        finally { dir.Delete(recursive: true); }
    }

    // Found by ArbitraryLines: an escaped lone surrogate (valid JSON, written by Python's json.dumps) threw
    // InvalidOperationException out of the loader instead of being reported as a malformed line.
    [Fact]
    public void EscapedLoneSurrogate_IsReportedAsAMalformedLine_NotThrown()
    {
        var dir = Directory.CreateTempSubdirectory("props-jsonl-");
        try
        {
            string file = Path.Combine(dir.FullName, "s.jsonl");
            File.WriteAllText(file, "{\"text\": \"ok\", \"meta\": {\"redpajama_set_name\": \"web\"}}\n" +
                                    "{\"text\": \"a\\ud800b\", \"meta\": {\"redpajama_set_name\": \"web\"}}\n" +
                                    "{\"text\": \"c\", \"meta\": {\"redpajama_set_name\": \"\\udc00\"}}\n");
            var diagnostics = new Recording();
            var docs = new JsonlLoader().Load(new DatasetRequest
            {
                Options = new JsonlOptions { Paths = ["s.jsonl"], MaxMalformedFraction = 1.0 }, BaseDirectory = dir.FullName, Diagnostics = diagnostics,
            }).ToList();
            Assert.Equal(["ok"], docs.Select(d => d.Text));
            Assert.Equal(
                [(file, (long?)2, "text field 'text' is not valid Unicode: it holds an escaped lone surrogate (such as \\ud800 without its pair)"),
                 (file, (long?)3, "domain field 'meta.redpajama_set_name' is not valid Unicode: it holds an escaped lone surrogate")],
                diagnostics.Skips);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void ArbitraryLines_LoadExactly_OrAreReportedWithFileAndLine() =>
        Gen.Select(LineGen.Array[0, 12], Gen.Bool, Gen.Bool, Gen.Int[0, 3].SelectMany(k => k == 0 ? Gen.Int[1, 500] : Gen.Const(0)),
                (lines, bom, crlf, cut) => (lines, bom, crlf, cut))
            .Sample(c => Check(c.lines, c.bom, c.crlf, c.cut), iter: 200, threads: 1);
}
