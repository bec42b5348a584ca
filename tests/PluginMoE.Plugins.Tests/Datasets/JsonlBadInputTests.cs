// Tests of the jsonl loader on bad and foreign input: invalid UTF-8 (refused, never replaced with U+FFFD; skip or
// fail), a BOM with CRLF and blank lines, truncated and corrupt gzip, lines that are JSON but not documents, and a
// 100 MB line (reported with its line number, not held in memory).
using System.IO.Compression;
using System.Text;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class JsonlBadInputTests
{
    private static List<Document> Load(JsonlOptions options, string baseDir, IDatasetDiagnostics? diagnostics = null) =>
        [.. new JsonlLoader().Load(new DatasetRequest { Options = options, BaseDirectory = baseDir, Diagnostics = diagnostics ?? NullDiagnostics.Instance })];

    private static string Line(string text) => $$$"""{"text": "{{{text}}}", "meta": {"redpajama_set_name": "s"}}""";

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(data);
        return buffer.ToArray();
    }

    // Line 2 holds "caf\xE9" (Latin-1 é): not UTF-8.
    private static byte[] FileWithLatin1Line() =>
        [.. Utf8(Line("one") + "\n"), .. Utf8("{\"text\": \"caf"), 0xE9, .. Utf8("\", \"meta\": {\"redpajama_set_name\": \"s\"}}\n"), .. Utf8(Line("three") + "\n")];

    [Fact]
    public void InvalidUtf8Line_IsReportedWithLineAndByteOffsetAndSkipped_NeverReplaced()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("latin1.jsonl", FileWithLatin1Line());
        var diag = new RecordingDiagnostics();
        var docs = Load(new JsonlOptions { Paths = ["latin1.jsonl"], MaxMalformedFraction = 0.5 }, tmp.Path, diag);
        Assert.Equal(["one", "three"], docs.Select(d => d.Text));
        Assert.DoesNotContain(docs, d => d.Text.Contains('\uFFFD'));
        var skip = Assert.Single(diag.Skips);
        int offset = Utf8(Line("one") + "\n").Length + "{\"text\": \"caf".Length;
        Assert.Equal((file, 2L), (skip.Source, skip.Line));
        Assert.Equal($"not valid UTF-8: invalid byte 0xE9 at byte offset {offset} of the file (byte 14 of the line)", skip.Reason);
    }

    [Fact]
    public void InvalidUtf8_WithTheDefaultThreshold_FailsTheLoadNamingTheFileAndLine()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("latin1.jsonl", FileWithLatin1Line());
        var e = Assert.Throws<InvalidDataException>(() => Load(new JsonlOptions { Paths = ["latin1.jsonl"] }, tmp.Path));
        Assert.Contains($"jsonl: {file} has 1 malformed lines of 3 (33.3%)", e.Message);
        Assert.Contains("first at lines 2.", e.Message);
    }

    [Fact]
    public void InvalidUtf8Fail_StopsAtTheFirstBadLine_NamingFileLineOffsetAndTheAlternatives()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("latin1.jsonl.gz", Gzip(FileWithLatin1Line()));
        var e = Assert.Throws<InvalidDataException>(() => Load(new JsonlOptions { Paths = ["latin1.jsonl.gz"], InvalidUtf8 = "fail" }, tmp.Path));
        Assert.Contains($"jsonl: {file}: line 2 is not valid UTF-8: invalid byte 0xE9 at byte offset 66 of the decompressed data (byte 14 of the line); InvalidUtf8 is 'fail'", e.Message);
        Assert.Contains("iconv -f latin1 -t utf-8", e.Message);
        Assert.Contains("set InvalidUtf8 to 'skip'", e.Message);
    }

    [Fact]
    public void BomCrlfAndBlankLines_LoadExactTextsWithTheRightLineNumbers()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("w.jsonl", [0xEF, 0xBB, 0xBF, .. Utf8(Line("a") + "\r\n\r\n  \t\r\n" + Line("b\\r") + "\r\n" + Line("c"))]);
        var docs = Load(new JsonlOptions { Paths = ["w.jsonl"] }, tmp.Path);
        Assert.Equal([$"{file}:1", $"{file}:4", $"{file}:5"], docs.Select(d => d.Id));
        Assert.Equal(["a", "b\r", "c"], docs.Select(d => d.Text));
    }

    [Fact]
    public void JsonThatIsNotADocument_IsReportedPerLine()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("n.jsonl", string.Join("\n",
            "[\"text\"]", "\"just a string\"", """{"text": ["a"], "meta": {"redpajama_set_name": "s"}}""",
            """{"body": "x", "meta": {"redpajama_set_name": "s"}}""", """{"text": "ok", "meta": {"redpajama_set_name": 3}}""", Line("fine")));
        var diag = new RecordingDiagnostics();
        var docs = Load(new JsonlOptions { Paths = ["n.jsonl"], MaxMalformedFraction = 1 }, tmp.Path, diag);
        Assert.Equal("fine", Assert.Single(docs).Text);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], diag.Skips.Select(s => s.Line!.Value));
        Assert.Equal(
            ["expected a JSON object, found Array", "expected a JSON object, found String", "text field 'text' is Array, expected a string",
             "missing text field 'text'", "domain field 'meta.redpajama_set_name' is Number, expected a non-empty string"],
            diag.Skips.Select(s => s.Reason));
    }

    [Fact]
    public void TruncatedGzip_FailsNamingTheFileAndTheLineReached_AfterTheDocumentsBeforeIt()
    {
        using var tmp = new TempFolder();
        var body = string.Concat(Enumerable.Range(0, 3000).Select(i => Line($"doc {i} {i * 7919 % 1000}") + "\n"));
        byte[] gz = Gzip(Utf8(body));
        string file = tmp.Write("t.jsonl.gz", gz[..(gz.Length / 2)]);
        var read = new List<Document>();
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var d in new JsonlLoader().Load(new DatasetRequest { Options = new JsonlOptions { Paths = ["t.jsonl.gz"] }, BaseDirectory = tmp.Path }))
                read.Add(d);
        });
        Assert.StartsWith($"jsonl: {file}: the gzip data is truncated or corrupt ({gz.Length / 2} bytes compressed; its trailer records", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the data ends at line {read.Count + 1}.", e.Message);
        Assert.Contains("gzip -t", e.Message);
        Assert.InRange(read.Count, 1, 2999);
        Assert.Equal("doc 0 0", read[0].Text);

        // Cut inside the trailer: every line is there, but the file is still refused.
        tmp.Write("t.jsonl.gz", gz[..^4]);
        e = Assert.Throws<InvalidDataException>(() => Load(new JsonlOptions { Paths = ["t.jsonl.gz"] }, tmp.Path));
        Assert.Contains("the data ends at line 3001", e.Message);
    }

    [Fact]
    public void CorruptGzip_FailsNamingTheFile()
    {
        using var tmp = new TempFolder();
        byte[] gz = Gzip(Utf8(string.Concat(Enumerable.Range(0, 3000).Select(i => Line($"doc {i}") + "\n"))));
        for (int i = gz.Length / 3; i < gz.Length / 3 + 16; i++) gz[i] ^= 0x5A;
        string file = tmp.Write("c.jsonl.gz", gz);
        var e = Assert.Throws<InvalidDataException>(() => Load(new JsonlOptions { Paths = ["c.jsonl.gz"], MaxMalformedFraction = 1 }, tmp.Path));
        Assert.StartsWith($"jsonl: {file}: the gzip data ", e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void A100MegabyteLine_IsReportedWithItsLineNumber_WithoutBeingHeldInMemory()
    {
        using var tmp = new TempFolder();
        string file = System.IO.Path.Combine(tmp.Path, "big.jsonl");
        const int size = 100 << 20;
        const string head = "{\"text\": \"", tail = "\", \"meta\": {\"redpajama_set_name\": \"s\"}}";
        using (var f = File.Create(file))
        {
            f.Write(Utf8(Line("before") + "\n" + head));
            var block = new byte[1 << 20];
            block.AsSpan().Fill((byte)'a');
            for (int i = 0; i < size >> 20; i++) f.Write(block);
            f.Write(Utf8(tail + "\n" + Line("after") + "\n"));
        }
        var diag = new RecordingDiagnostics();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var docs = Load(new JsonlOptions { Paths = ["big.jsonl"], MaxMalformedFraction = 0.5 }, tmp.Path, diag);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal(["before", "after"], docs.Select(d => d.Text));
        var skip = Assert.Single(diag.Skips);
        Assert.Equal(2L, skip.Line);
        Assert.StartsWith($"line is {size + head.Length + tail.Length} bytes, longer than MaxLineBytes (16777216); it was not read. Raise MaxLineBytes", skip.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 48L << 20, $"allocated {allocated >> 20} MiB for a 100 MiB line");

        // The same file with the line allowed: it loads.
        var all = Load(new JsonlOptions { Paths = ["big.jsonl"], MaxLineBytes = 128 << 20 }, tmp.Path);
        Assert.Equal(size, all[1].Text.Length);
    }
}
