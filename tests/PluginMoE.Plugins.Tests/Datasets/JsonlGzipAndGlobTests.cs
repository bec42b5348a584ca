// Tests of the jsonl loader's gzip input, glob patterns, fixed domain, streaming and totals.
using System.IO.Compression;
using System.Text;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class JsonlGzipAndGlobTests
{
    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private static string Lines(int n, string prefix) =>
        string.Concat(Enumerable.Range(0, n).Select(i => $$$"""{"text": "{{{prefix}}} {{{i}}}", "meta": {"redpajama_set_name": "s"}}""" + "\n"));

    [Fact]
    public void Load_GzipFileWithMalformedLine_IsDecompressedAndTheLineReported()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("c.jsonl.gz", Gzip(Lines(200, "zipped") + "{not json\n"));
        var diagnostics = new RecordingDiagnostics();
        var docs = new JsonlLoader().Load(new DatasetRequest
        {
            Options = new JsonlOptions { Paths = ["c.jsonl.gz"] }, BaseDirectory = tmp.Path, Diagnostics = diagnostics,
        }).ToList();
        Assert.Equal(200, docs.Count);
        Assert.Equal("zipped 7", docs[7].Text);
        var skip = Assert.Single(diagnostics.Skips);
        Assert.Equal((file, 201L), (skip.Source, skip.Line));
        Assert.StartsWith("invalid JSON", skip.Reason, StringComparison.Ordinal);
        Assert.Contains("jsonl: 1 file(s), 200 documents, 1 malformed lines skipped", diagnostics.Infos);
    }

    [Fact]
    public void Load_FolderWithPlainAndGzipFiles_ReadsBothInPathOrder()
    {
        using var tmp = new TempFolder();
        tmp.Write("d/b.jsonl", Lines(1, "plain"));
        tmp.Write("d/a.jsonl.gz", Gzip(Lines(1, "gz")));
        tmp.Write("d/ignored.txt", "not jsonl");
        var docs = new JsonlLoader().Load(new DatasetRequest { Options = new JsonlOptions { Paths = ["d"] }, BaseDirectory = tmp.Path }).ToList();
        Assert.Equal(["gz 0", "plain 0"], docs.Select(d => d.Text));
    }

    [Fact]
    public void Load_GlobAndFixedDomain_MatchFilesAndLabelEveryLine()
    {
        using var tmp = new TempFolder();
        tmp.Write("x/part-1.jsonl", """{"text": "one"}""" + "\n");
        tmp.Write("x/sub/part-2.jsonl.gz", Gzip("""{"text": "two"}""" + "\n"));
        tmp.Write("x/other.jsonl", """{"text": "three"}""" + "\n");
        var docs = new JsonlLoader().Load(new DatasetRequest
        {
            Options = new JsonlOptions { Paths = ["x/**/part-*"], Domain = "web" }, BaseDirectory = tmp.Path,
        }).ToList();
        Assert.Equal(["one", "two"], docs.Select(d => d.Text));
        Assert.All(docs, d => Assert.Equal("web", d.Domain));
    }

    [Fact]
    public void Load_IsStreamed_TheFirstDocumentArrivesBeforeALaterBadFileIsRead()
    {
        using var tmp = new TempFolder();
        tmp.Write("a.jsonl", Lines(3, "ok"));
        tmp.Write("b.jsonl", "garbage\ngarbage\n");
        using var e = new JsonlLoader().Load(new DatasetRequest { Options = new JsonlOptions { Paths = ["*.jsonl"] }, BaseDirectory = tmp.Path }).GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal("ok 0", e.Current.Text);
        Assert.True(e.MoveNext() && e.MoveNext());
        var error = Assert.Throws<InvalidDataException>(() => e.MoveNext());
        Assert.Contains("b.jsonl has 2 malformed lines of 2 (100.0%)", error.Message, StringComparison.Ordinal);
    }
}
