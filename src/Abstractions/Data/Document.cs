// Documents, dataset loaders and the diagnostics channel they report skipped input through.
namespace PluginMoE.Abstractions.Data;

/// <summary>One training or evaluation document.</summary>
/// <param name="Id">Stable identifier (file path, or file:line for JSONL) used for splits and resume.</param>
/// <param name="Domain">Domain label (e.g. <c>code</c>, <c>licenses</c>).</param>
/// <param name="Text">UTF-8 text.</param>
public sealed record Document(string Id, string Domain, string Text);

/// <summary>Where a loader reports input it skipped, with enough detail to fix it.</summary>
public interface IDatasetDiagnostics
{
    /// <summary>Reports a skipped file or line (<paramref name="line"/> is 1-based, or null for whole files).</summary>
    void Skipped(string source, long? line, string reason);

    /// <summary>Reports progress or a summary.</summary>
    void Info(string message);
}

/// <summary>What a loader is given.</summary>
public sealed record DatasetRequest
{
    /// <summary>The loader's options (its factory's <c>OptionsType</c>), or null.</summary>
    public object? Options { get; init; }

    /// <summary>Folder that relative paths in the options are resolved against (the profile's folder).</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Where skipped input is reported.</summary>
    public IDatasetDiagnostics Diagnostics { get; init; } = NullDiagnostics.Instance;

    /// <summary>Cancels a long scan.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Streams documents from a source; exported with <see cref="Composition.ExportDatasetLoaderAttribute"/>.</summary>
public interface IDatasetLoader : Composition.IPluginFactory
{
    /// <summary>
    /// Documents in a deterministic order. Throws <see cref="InvalidDataException"/> naming the source
    /// when the input is unusable (e.g. too many malformed lines), or <see cref="FileNotFoundException"/>
    /// / <see cref="DirectoryNotFoundException"/> naming the paths searched.
    /// </summary>
    IEnumerable<Document> Load(DatasetRequest request);
}

/// <summary>Diagnostics that discard everything.</summary>
public sealed class NullDiagnostics : IDatasetDiagnostics
{
    /// <summary>The shared instance.</summary>
    public static readonly NullDiagnostics Instance = new();

    /// <inheritdoc/>
    public void Skipped(string source, long? line, string reason) { }

    /// <inheritdoc/>
    public void Info(string message) { }
}
