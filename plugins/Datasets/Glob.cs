// File globbing for dataset patterns: `*` and `?` match within one path segment, `**` matches any number
// of folders. Written here because Microsoft.Extensions.FileSystemGlobbing is not among the pinned packages.
using System.Text;
using System.Text.RegularExpressions;

namespace PluginMoE.Plugins.Datasets;

/// <summary>Expands glob patterns to files, sorted by ordinal path for a deterministic order.</summary>
internal static class Glob
{
    /// <summary>True when <paramref name="pattern"/> contains a wildcard.</summary>
    public static bool HasWildcard(string pattern) => pattern.IndexOfAny(['*', '?']) >= 0;

    /// <summary>Resolves a relative pattern against <paramref name="baseDirectory"/>; absolute patterns stay as they are.</summary>
    public static string Resolve(string pattern, string baseDirectory) =>
        Path.IsPathRooted(pattern) ? pattern : Path.Combine(baseDirectory, pattern);

    /// <summary>Files matched by an absolute pattern, sorted by ordinal path.</summary>
    public static IReadOnlyList<string> Expand(string absolutePattern, CancellationToken cancellationToken = default)
    {
        var segments = absolutePattern.Replace('\\', '/').Split('/');
        // The literal prefix (segments without wildcards) is where the walk starts.
        int firstWild = Array.FindIndex(segments, HasWildcard);
        if (firstWild < 0)
            return File.Exists(absolutePattern) ? [Path.GetFullPath(absolutePattern)] : [];
        string root = string.Join('/', segments[..firstWild]);
        if (root.Length == 0) root = "/";
        var found = new SortedSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(root))
            Walk(root, segments, firstWild, found, cancellationToken);
        return [.. found];
    }

    private static void Walk(string dir, string[] segments, int i, SortedSet<string> found, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string segment = segments[i];
        bool last = i == segments.Length - 1;
        if (segment == "**")
        {
            if (last)
            {
                // A trailing ** means every file below.
                foreach (var f in SafeFiles(dir)) found.Add(f);
                foreach (var d in SafeDirectories(dir, followLinks: false)) Walk(d, segments, i, found, ct);
                return;
            }
            Walk(dir, segments, i + 1, found, ct);                                 // ** matches zero folders
            foreach (var d in SafeDirectories(dir, followLinks: false)) Walk(d, segments, i, found, ct);
            return;
        }
        var regex = SegmentRegex(segment);
        if (last)
        {
            foreach (var f in SafeFiles(dir))
                if (regex.IsMatch(Path.GetFileName(f))) found.Add(f);
            return;
        }
        foreach (var d in SafeDirectories(dir, followLinks: true))
            if (regex.IsMatch(Path.GetFileName(d))) Walk(d, segments, i + 1, found, ct);
    }

    /// <summary>A regex for one segment: <c>*</c> is any run of characters, <c>?</c> one character.</summary>
    internal static Regex SegmentRegex(string segment)
    {
        var sb = new StringBuilder("^");
        foreach (char c in segment)
            sb.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    private static IEnumerable<string> SafeFiles(string dir)
    {
        try { return Directory.GetFiles(dir); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return []; }
    }

    // Symbolic links to folders are not followed under `**`, so link cycles cannot loop forever.
    private static IEnumerable<string> SafeDirectories(string dir, bool followLinks)
    {
        try
        {
            return Directory.GetDirectories(dir)
                .Where(d => followLinks || new DirectoryInfo(d).LinkTarget is null)
                .Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return []; }
    }
}
