// A named source of text that a Linux machine usually has (man pages, Python's standard library, ...):
// where it looks by default and how one of its files becomes a document's text.
namespace PluginMoE.Plugins.Datasets.LocalCorpus;

/// <summary>One named source of the <c>local-corpus</c> loader.</summary>
internal abstract class LocalSource
{
    /// <summary>The name profiles use (<c>man-pages</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Absolute glob patterns searched when the options do not replace them.</summary>
    public abstract IReadOnlyList<string> DefaultPatterns { get; }

    /// <summary>What to install when nothing is found (one phrase).</summary>
    public abstract string Hint { get; }

    /// <summary>Whether a matched file belongs to the source (e.g. excludes third-party packages).</summary>
    public virtual bool Accept(string file) => true;

    /// <summary>Files of the same content in several places (e.g. SDK versions) are reduced to one by this key.</summary>
    public virtual string DedupKey(string file) => file;

    /// <summary>A fresh reader for one load (sources may keep state across files, e.g. paragraphs seen).</summary>
    public abstract ISourceReader CreateReader();
}

/// <summary>Turns a source's files into document text.</summary>
internal interface ISourceReader
{
    /// <summary>The text of <paramref name="file"/>, or null with <paramref name="problem"/> saying why it was skipped.</summary>
    string? Read(string file, long maxBytes, out string problem);
}
