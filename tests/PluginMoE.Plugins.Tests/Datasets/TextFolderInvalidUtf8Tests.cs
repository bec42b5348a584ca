// Tests of text-folder's InvalidUtf8 option: skip (report and go on) or fail (stop naming the file).
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class TextFolderInvalidUtf8Tests
{
    private static TempFolder Corpus()
    {
        var tmp = new TempFolder();
        tmp.Write("root/a/good.txt", "fine text");
        tmp.Write("root/a/latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A]);          // "café" in Latin-1
        return tmp;
    }

    [Fact]
    public void Load_InvalidUtf8Skip_ReportsTheFileAndKeepsTheRest()
    {
        using var tmp = Corpus();
        var diagnostics = new RecordingDiagnostics();
        var docs = new TextFolderLoader().Load(new DatasetRequest
        {
            Options = new TextFolderOptions { Root = "root", InvalidUtf8 = "skip" }, BaseDirectory = tmp.Path, Diagnostics = diagnostics,
        }).ToList();
        Assert.Equal("fine text", Assert.Single(docs).Text);
        Assert.Equal("not valid UTF-8 (invalid byte sequence at offset 3)", Assert.Single(diagnostics.Skips).Reason);
    }

    [Fact]
    public void Load_InvalidUtf8Fail_StopsNamingTheFileOffsetAndTheOption()
    {
        using var tmp = Corpus();
        var error = Assert.Throws<InvalidDataException>(() => new TextFolderLoader().Load(new DatasetRequest
        {
            Options = new TextFolderOptions { Root = "root", InvalidUtf8 = "fail" }, BaseDirectory = tmp.Path,
        }).ToList());
        Assert.Equal($"text-folder: {Path.Combine(tmp.Path, "root/a/latin1.txt")}: not valid UTF-8 (invalid byte sequence at offset 3); " +
            "InvalidUtf8 is 'fail'. Convert or remove the file, or set InvalidUtf8 to 'skip'", error.Message);
    }
}
