// The text-folder dataset loader: UTF-8 text files grouped into domains by sub-folder or by glob patterns.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Plugins.Datasets;

/// <summary>
/// Loads every matched file as one document. Domains come either from the sub-folders of
/// <see cref="TextFolderOptions.Root"/> or from the keys of <see cref="TextFolderOptions.Domains"/>; domains are
/// visited in ordinal name order and files in ordinal path order. Binary and invalid UTF-8 files are reported
/// through the request's diagnostics and skipped, or fail the load (<see cref="TextFolderOptions.InvalidUtf8"/>).
/// </summary>
[ExportDatasetLoader("text-folder", Description = "UTF-8 text files, one sub-folder or glob-pattern list per domain")]
public sealed class TextFolderLoader : IDatasetLoader
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(TextFolderOptions);

    /// <inheritdoc/>
    public IEnumerable<Document> Load(DatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as TextFolderOptions ?? throw new ArgumentException(
            $"text-folder: options must be {nameof(TextFolderOptions)} with Root or Domains set, got {request.Options?.GetType().Name ?? "null"}");
        var problems = options.Validate(new(options)).Select(r => r.ErrorMessage).ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join("; ", problems));

        // Matching happens up front so that a bad pattern fails before the first document is used.
        var domains = options.Root is { } root ? FilesByFolder(Glob.Resolve(root, request.BaseDirectory)) : FilesByPattern(options, request);
        return Read(domains, options, request);
    }

    private static IEnumerable<Document> Read(IReadOnlyList<(string Domain, string Base, IReadOnlyList<string> Files)> domains,
        TextFolderOptions options, DatasetRequest request)
    {
        foreach (var (domain, baseDir, files) in domains)
        {
            int taken = 0, skipped = 0;
            foreach (var file in files)
            {
                request.CancellationToken.ThrowIfCancellationRequested();
                if (options.MaxFilesPerDomain is { } max && taken >= max) break;
                string? text = Utf8File.TryRead(file, options.MaxBytesPerFile, out var problem);
                if (text is null && options.InvalidUtf8 == "fail" && problem != "empty file")
                    throw new InvalidDataException(
                        $"text-folder: {file}: {problem}; InvalidUtf8 is 'fail'. Convert or remove the file, or set InvalidUtf8 to 'skip'");
                if (text is null)
                {
                    request.Diagnostics.Skipped(file, null, problem);
                    skipped++;
                    continue;
                }
                taken++;
                yield return new Document(Id(file, baseDir), domain, text);
            }
            request.Diagnostics.Info($"text-folder: domain '{domain}': {taken} files read, {skipped} skipped");
        }
    }

    // Ids are relative to the domain's base folder where possible, so splits do not depend on where a corpus lives.
    private static string Id(string file, string baseDir)
    {
        string rel = Path.GetRelativePath(baseDir, file).Replace('\\', '/');
        return rel.StartsWith("..", StringComparison.Ordinal) ? file : rel;
    }

    private static List<(string, string, IReadOnlyList<string>)> FilesByFolder(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException(
                $"text-folder: Root folder '{root}' does not exist; point Root at a folder with one sub-folder per domain, or use Domains with glob patterns");
        var result = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var files = Glob.Expand(Path.Combine(Path.GetFullPath(dir), "**"));
            if (files.Count > 0) result.Add((Path.GetFileName(dir), root, files));
        }
        if (result.Count == 0)
            throw new FileNotFoundException(
                $"text-folder: no files found under Root '{root}' (searched '{root}/*/**'); each domain needs a sub-folder with text files, " +
                "or set Domains to glob patterns such as \"src/**/*.cs\"");
        return result;
    }

    private static List<(string, string, IReadOnlyList<string>)> FilesByPattern(TextFolderOptions options, DatasetRequest request)
    {
        var result = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var (domain, patterns) in options.Domains!.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var resolved = patterns.Select(p => Glob.Resolve(p, request.BaseDirectory)).ToArray();
            var files = resolved.SelectMany(p => Glob.Expand(p, request.CancellationToken))
                .Distinct().Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new FileNotFoundException(
                    $"text-folder: no files matched for domain '{domain}': searched {string.Join(", ", resolved.Select(p => $"'{p}'"))} " +
                    $"(relative patterns are resolved against '{request.BaseDirectory}'); point Domains:{domain} at existing files, " +
                    "e.g. \"/usr/lib/python3*/**/*.py\", or set Root to a folder with one sub-folder per domain");
            result.Add((domain, request.BaseDirectory, files));
        }
        return result;
    }
}
