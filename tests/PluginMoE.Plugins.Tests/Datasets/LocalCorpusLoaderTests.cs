// Tests of the local-corpus loader: a fake man tree with gzip troff pages, licence paragraph dedup, XML docs,
// the message when a source finds nothing, and the real machine's sources where they exist.
using System.IO.Compression;
using System.Text;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class LocalCorpusLoaderTests
{
    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private static List<Document> Load(LocalCorpusOptions options, string baseDir, RecordingDiagnostics? diagnostics = null) =>
        [.. new LocalCorpusLoader().Load(new DatasetRequest { Options = options, BaseDirectory = baseDir, Diagnostics = diagnostics ?? new RecordingDiagnostics() })];

    private const string FrobPage = """
        .\" A page written for this test.
        .TH FROB 1 "2026" "frob 1.0" "User Commands"
        .SH NAME
        frob \- twiddle the \fBwidgets\fR of a system
        .SH SYNOPSIS
        .B frob
        [\fI\,OPTION\/\fR]... \fIFILE\fR
        .SH DESCRIPTION
        .PP
        Frob reads each FILE and
        twiddles its widgets \(em gently.
        .TP
        \fB\-v\fR, \fB\-\-verbose\fR
        say what is twiddled
        .SH "SEE ALSO"
        .BR twiddle (1)
        """;

    [Fact]
    public void Load_FakeManTree_RendersGzipTroffAndSkipsSoLinks()
    {
        using var tmp = new TempFolder();
        string page = tmp.Write("man/man1/frob.1.gz", Gzip(FrobPage));
        string link = tmp.Write("man/man1/frobnicate.1.gz", Gzip(".so man1/frob.1\n"));
        tmp.Write("man/man8/plain.8", ".TH PLAIN 8\n.SH NAME\nplain \\- a page that is not compressed but long enough to be kept by the loader\n");
        var diagnostics = new RecordingDiagnostics();
        var docs = Load(new LocalCorpusOptions { Sources = ["man-pages"], Patterns = new() { ["man-pages"] = ["man/man*/*"] } }, tmp.Path, diagnostics);

        Assert.Equal([page, Path.Combine(tmp.Path, "man/man8/plain.8")], docs.Select(d => d.Id));
        Assert.All(docs, d => Assert.Equal("man-pages", d.Domain));
        Assert.Equal("""
            FROB(1)

            NAME
            frob - twiddle the widgets of a system

            SYNOPSIS
            frob [OPTION]... FILE

            DESCRIPTION

            Frob reads each FILE and twiddles its widgets — gently.

            -v, --verbose
            say what is twiddled

            SEE ALSO
            twiddle(1)

            """.Replace("\r\n", "\n", StringComparison.Ordinal), docs[0].Text);
        var skip = Assert.Single(diagnostics.Skips);
        Assert.Equal((link, "local-corpus: man-pages: a link to another page (.so)"), (skip.Source, skip.Reason));
        Assert.Contains(diagnostics.Infos, m => m.StartsWith("local-corpus: man-pages (domain 'man-pages'): 3 files found in ", StringComparison.Ordinal)
            && m.EndsWith("2 documents read (0 KiB of text), 1 skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_Licenses_KeepEachParagraphOnlyOnceAndRenameTheDomain()
    {
        using var tmp = new TempFolder();
        string notice = "This program is free software; you can redistribute it\nunder the terms of some licence that is long enough.";
        tmp.Write("doc/alpha/copyright", $"Files: *\nCopyright: 2020 Alpha Authors of the alpha package\n\n{notice}\n");
        tmp.Write("doc/beta/copyright", $"Files: *\nCopyright: 2021 Beta Authors of the beta package\n\n{notice.Replace("\n", "  \n", StringComparison.Ordinal)}\n");
        tmp.Write("doc/gamma/copyright", $"{notice}\n");
        var diagnostics = new RecordingDiagnostics();
        var docs = Load(new LocalCorpusOptions
        {
            Sources = ["licenses"], Domains = new() { ["licenses"] = "legal" }, MinChars = 10,
            Patterns = new() { ["licenses"] = ["doc/*/copyright"] },
        }, tmp.Path, diagnostics);

        Assert.Equal(2, docs.Count);
        Assert.Equal($"Files: *\nCopyright: 2020 Alpha Authors of the alpha package\n\n{notice}", docs[0].Text);
        Assert.Equal("Files: *\nCopyright: 2021 Beta Authors of the beta package", docs[1].Text);
        Assert.All(docs, d => Assert.Equal("legal", d.Domain));
        Assert.Equal("local-corpus: licenses: all 1 paragraphs already seen in earlier files", Assert.Single(diagnostics.Skips).Reason);
    }

    [Fact]
    public void Load_DotnetXmlDocs_KeepSummariesAndRemarksAsProse()
    {
        using var tmp = new TempFolder();
        tmp.Write("packs/Ref/1.0/ref/net10.0/Widgets.xml", """
            <?xml version="1.0" encoding="utf-8"?>
            <doc><assembly><name>Widgets</name></assembly><members>
              <member name="T:Acme.Widget">
                <summary>Represents a widget that turns a <see cref="T:System.String" /> into
                  <see langword="null" /> when <paramref name="force" /> is set.</summary>
                <remarks><para>Widgets are reusable.</para><code>var w = new Widget();</code><para>Use <c>Spin</c> to start.</para></remarks>
              </member>
              <member name="M:Acme.Widget.Spin(System.Int32)"><summary>Spins the <see cref="T:System.Collections.Generic.List`1" />.</summary><param name="n">ignored</param></member>
            </members></doc>
            """);
        var docs = Load(new LocalCorpusOptions { Sources = ["dotnet-xmldocs"], MinChars = 1, Patterns = new() { ["dotnet-xmldocs"] = ["packs/*/*/ref/net*/*.xml"] } }, tmp.Path);
        Assert.Equal("Represents a widget that turns a String into\nnull when force is set.\nWidgets are reusable.\nUse Spin to start.\n\nSpins the List.",
            Assert.Single(docs).Text);
    }

    [Fact]
    public void Load_SourceFindingNothing_FailsNamingWhereItLookedAndWhatToDo()
    {
        using var tmp = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() =>
            Load(new LocalCorpusOptions { Sources = ["c-headers"], Patterns = new() { ["c-headers"] = ["include/**/*.h"] } }, tmp.Path));
        Assert.Equal($"local-corpus: source 'c-headers' found no files; searched '{Path.Combine(tmp.Path, "include/**/*.h")}'; " +
            "install libc6-dev (apt-get install libc6-dev linux-libc-dev), point Patterns:c-headers at other files, or leave 'c-headers' out of Sources",
            error.Message);
    }

    [Fact]
    public void Load_SkipMissingSources_ReportsTheMissingOneAndReadsTheOthers()
    {
        using var tmp = new TempFolder();
        tmp.Write("py/mod.py", "def f(x):\n    return x + 1\n\n\nclass Widget:\n    pass\n");
        var diagnostics = new RecordingDiagnostics();
        var docs = Load(new LocalCorpusOptions
        {
            Sources = ["c-headers", "python-stdlib"], SkipMissingSources = true, MinChars = 1,
            Patterns = new() { ["c-headers"] = ["none/*.h"], ["python-stdlib"] = ["py/*.py"] },
        }, tmp.Path, diagnostics);
        Assert.Equal("python-stdlib", Assert.Single(docs).Domain);
        Assert.Contains(diagnostics.Infos, m => m.StartsWith("local-corpus: source 'c-headers' found no files;", StringComparison.Ordinal)
            && m.EndsWith("(skipped: SkipMissingSources is set)", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_UnknownSource_IsRefusedListingTheSources()
    {
        var error = Assert.Throws<ArgumentException>(() => Load(new LocalCorpusOptions { Sources = ["manpages"] }, "/"));
        Assert.Equal("local-corpus: unknown source 'manpages'; sources: man-pages, python-stdlib, dotnet-xmldocs, licenses, c-headers", error.Message);
    }

    [Fact]
    public void EvenlySpaced_SpreadsOverTheSortedCandidates() =>
        Assert.Equal(["a", "c", "e"], LocalCorpusLoader.EvenlySpaced(["a", "b", "c", "d", "e", "f"], 3));

    // The real machine: every source whose default folders exist gives documents of real text.
    [Theory]
    [InlineData("man-pages", "/usr/share/man")]
    [InlineData("python-stdlib", "/usr/lib")]
    [InlineData("dotnet-xmldocs", null)]
    [InlineData("licenses", "/usr/share/common-licenses")]
    [InlineData("c-headers", "/usr/include")]
    public void Load_RealMachineSource_GivesTextWhereTheSourceExists(string source, string? folder)
    {
        if (folder is not null && !Directory.Exists(folder)) return;      // not on this machine: nothing to check
        var diagnostics = new RecordingDiagnostics();
        List<Document> docs;
        try { docs = Load(new LocalCorpusOptions { Sources = [source], MaxFilesPerSource = 4, MaxBytesPerFile = 8192 }, "/", diagnostics); }
        catch (FileNotFoundException e) when (folder is null)
        {
            Assert.StartsWith($"local-corpus: source '{source}' found no files; searched", e.Message, StringComparison.Ordinal);
            return;
        }
        Assert.InRange(docs.Count, 1, 4);
        Assert.All(docs, d => Assert.True(d.Text.Length >= 64 && !d.Text.Contains('\0', StringComparison.Ordinal)));
        Assert.Contains(diagnostics.Infos, m => m.StartsWith($"local-corpus: {source} (domain '{source}'): ", StringComparison.Ordinal));
        if (source == "man-pages") Assert.All(docs, d => Assert.DoesNotContain("\\f", d.Text, StringComparison.Ordinal));
    }
}
