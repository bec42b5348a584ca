// Tests of the jsonl loader: field paths, ids, malformed lines with line numbers, the failure threshold.
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class JsonlLoaderTests
{
    private static List<Document> Load(JsonlOptions options, string baseDir, IDatasetDiagnostics? diagnostics = null) =>
        [.. new JsonlLoader().Load(new DatasetRequest { Options = options, BaseDirectory = baseDir, Diagnostics = diagnostics ?? NullDiagnostics.Instance })];

    private static string Line(string text, string set) => $$$"""{"text": "{{{text}}}", "meta": {"redpajama_set_name": "{{{set}}}"}}""";

    [Fact]
    public void Load_SlimPajamaLines_TakeTextAndDomainFromTheDefaultFields()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("a.jsonl", Line("hello", "RedPajamaGithub") + "\n\n" + Line("world", "RedPajamaArXiv") + "\n");
        var docs = Load(new JsonlOptions { Paths = ["a.jsonl"] }, tmp.Path);
        Assert.Equal([$"{file}:1", $"{file}:3"], docs.Select(d => d.Id));
        Assert.Equal(["RedPajamaGithub", "RedPajamaArXiv"], docs.Select(d => d.Domain));
        Assert.Equal(["hello", "world"], docs.Select(d => d.Text));
    }

    [Fact]
    public void Load_CustomFieldPathsAndIdField_AreUsed()
    {
        using var tmp = new TempFolder();
        tmp.Write("d/x.jsonl", """{"body": "b", "src": {"kind": {"name": "k"}}, "uid": 42}""" + "\n");
        var docs = Load(new JsonlOptions { Paths = ["d"], TextField = "body", DomainField = "src.kind.name", IdField = "uid" }, tmp.Path);
        Assert.Equal(new Document("42", "k", "b"), Assert.Single(docs));
    }

    [Fact]
    public void Load_FolderOfFiles_ReadsEveryJsonlFileInSortedOrder()
    {
        using var tmp = new TempFolder();
        tmp.Write("d/b.jsonl", Line("second", "s") + "\n");
        tmp.Write("d/sub/a.jsonl", Line("third", "s") + "\n");
        tmp.Write("d/a.jsonl", Line("first", "s") + "\n");
        tmp.Write("d/notes.txt", "ignored");
        Assert.Equal(["first", "second", "third"], Load(new JsonlOptions { Paths = [System.IO.Path.Combine(tmp.Path, "d")] }, "/").Select(d => d.Text));
    }

    [Fact]
    public void Load_MalformedLines_AreReportedWithFileAndLineAndSkipped()
    {
        using var tmp = new TempFolder();
        var lines = Enumerable.Range(0, 10).Select(i => Line($"t{i}", "s")).ToList();
        lines[1] = "{not json";
        lines[4] = """{"text": 5, "meta": {"redpajama_set_name": "s"}}""";
        lines[7] = """{"text": "no domain"}""";
        string file = tmp.Write("m.jsonl", string.Join("\n", lines));
        var diag = new RecordingDiagnostics();
        var docs = Load(new JsonlOptions { Paths = ["m.jsonl"], MaxMalformedFraction = 0.5 }, tmp.Path, diag);
        Assert.Equal(7, docs.Count);
        Assert.Equal([2L, 5L, 8L], diag.Skips.Select(s => s.Line!.Value));
        Assert.All(diag.Skips, s => Assert.Equal(file, s.Source));
        Assert.Contains("invalid JSON", diag.Skips[0].Reason);
        Assert.Contains("text field 'text' is Number, expected a string", diag.Skips[1].Reason);
        Assert.Contains("missing domain field 'meta.redpajama_set_name'", diag.Skips[2].Reason);
    }

    [Fact]
    public void Load_TooManyMalformedLines_FailsNamingFileCountShareAndFirstLines()
    {
        using var tmp = new TempFolder();
        var lines = Enumerable.Range(0, 10).Select(i => i is 2 or 3 ? "garbage" : Line($"t{i}", "s"));
        string file = tmp.Write("bad.jsonl", string.Join("\n", lines));
        var e = Assert.Throws<InvalidDataException>(() => Load(new JsonlOptions { Paths = ["bad.jsonl"] }, tmp.Path));
        Assert.Contains($"jsonl: {file} has 2 malformed lines of 10 (20.0%), more than MaxMalformedFraction 1.0%", e.Message);
        Assert.Contains("first at lines 3, 4", e.Message);
        Assert.Contains("raise MaxMalformedFraction", e.Message);
    }

    [Fact]
    public void Load_MissingPath_FailsNamingIt()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => Load(new JsonlOptions { Paths = ["missing.jsonl"] }, tmp.Path));
        Assert.Contains($"no .jsonl or .jsonl.gz files at '{System.IO.Path.Combine(tmp.Path, "missing.jsonl")}'", e.Message);
    }
}
