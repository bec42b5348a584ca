// Tests of the text-folder loader: sub-folder domains, glob patterns, skipped files, limits and errors.
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class TextFolderLoaderTests
{
    private static List<Document> Load(TextFolderOptions options, string baseDir, IDatasetDiagnostics? diagnostics = null) =>
        [.. new TextFolderLoader().Load(new DatasetRequest { Options = options, BaseDirectory = baseDir, Diagnostics = diagnostics ?? NullDiagnostics.Instance })];

    [Fact]
    public void Load_RootWithSubFolders_GivesOneDomainPerFolderInSortedOrder()
    {
        using var tmp = new TempFolder();
        tmp.Write("prose/b.txt", "bee");
        tmp.Write("prose/a.txt", "ay");
        tmp.Write("code/x/deep.cs", "class C {}");
        var docs = Load(new TextFolderOptions { Root = tmp.Path }, "/");
        Assert.Equal(["code/x/deep.cs", "prose/a.txt", "prose/b.txt"], docs.Select(d => d.Id));
        Assert.Equal(["code", "prose", "prose"], docs.Select(d => d.Domain));
        Assert.Equal("ay", docs[1].Text);
    }

    [Fact]
    public void Load_GlobPatterns_MatchStarQuestionMarkAndDoubleStar()
    {
        using var tmp = new TempFolder();
        tmp.Write("src/a.cs", "a");
        tmp.Write("src/sub/deeper/b.cs", "b");
        tmp.Write("src/sub/c.txt", "c");
        tmp.Write("lib1/d.py", "d");
        tmp.Write("lib22/e.py", "e");
        var docs = Load(new TextFolderOptions
        {
            Domains = new() { ["cs"] = ["src/**/*.cs"], ["py"] = [System.IO.Path.Combine(tmp.Path, "lib?/*.py")] },
        }, tmp.Path);
        Assert.Equal(["src/a.cs", "src/sub/deeper/b.cs", "lib1/d.py"], docs.Select(d => d.Id));
        Assert.Equal(["cs", "cs", "py"], docs.Select(d => d.Domain));
    }

    [Fact]
    public void Load_InvalidUtf8AndBinaryFiles_AreReportedWithTheirPathAndSkipped()
    {
        using var tmp = new TempFolder();
        tmp.Write("d/good.txt", "fine ✓");
        string bad = tmp.Write("d/bad.txt", [0x61, 0xC3, 0x28, 0x62]);
        string bin = tmp.Write("d/blob.bin", [0x61, 0x00, 0x62]);
        var diag = new RecordingDiagnostics();
        var docs = Load(new TextFolderOptions { Root = tmp.Path }, "/", diag);
        Assert.Equal(["d/good.txt"], docs.Select(d => d.Id));
        Assert.Contains(diag.Skips, s => s.Source == bad && s.Line is null && s.Reason.Contains("not valid UTF-8"));
        Assert.Contains(diag.Skips, s => s.Source == bin && s.Reason.Contains("binary file"));
    }

    [Fact]
    public void Load_MaxFilesAndMaxBytes_LimitWhatIsRead()
    {
        using var tmp = new TempFolder();
        tmp.Write("d/1.txt", "abcé");   // é is two bytes: a 4-byte cut must not split it
        tmp.Write("d/2.txt", "xyz");
        tmp.Write("d/3.txt", "uvw");
        var docs = Load(new TextFolderOptions { Root = tmp.Path, MaxFilesPerDomain = 2, MaxBytesPerFile = 4 }, "/");
        Assert.Equal(["abc", "xyz"], docs.Select(d => d.Text));
    }

    [Fact]
    public void Load_PatternMatchingNothing_FailsNamingThePatternAndHowToFixIt()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => Load(new TextFolderOptions { Domains = new() { ["code"] = ["nowhere/**/*.cs"] } }, tmp.Path));
        Assert.Contains("no files matched for domain 'code'", e.Message);
        Assert.Contains(System.IO.Path.Combine(tmp.Path, "nowhere/**/*.cs"), e.Message);
        Assert.Contains("point Domains:code at existing files", e.Message);
    }

    [Fact]
    public void Load_MissingRoot_FailsNamingTheFolder()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => Load(new TextFolderOptions { Root = "/does/not/exist" }, "/"));
        Assert.Contains("Root folder '/does/not/exist' does not exist", e.Message);
    }

    [Fact]
    public void Load_BothRootAndDomains_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(new TextFolderOptions { Root = "/tmp", Domains = new() { ["a"] = ["*"] } }, "/"));
        Assert.Contains("set exactly one of Root", e.Message);
    }
}
