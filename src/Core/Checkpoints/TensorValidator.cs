// Compares the tensors of a checkpoint with those its config implies and describes every difference:
// missing names, unexpected names, and shape mismatches with both shapes.
namespace PluginMoE.Core.Checkpoints;

/// <summary>Checks tensor names and shapes against a <see cref="TensorSchema"/>.</summary>
internal static class TensorValidator
{
    private const int MaxListed = 20;

    /// <summary>Checks canonical names; null when everything matches, else a description of all problems.</summary>
    public static string? Check(TensorSchema schema, IReadOnlyDictionary<string, long[]> shapes, Func<string, string> display) =>
        Check(schema, shapes, n => n, display);

    /// <summary>Checks the tensors of a <paramref name="layout"/> file; problems are reported under the file's names.</summary>
    public static string? CheckFile(TensorSchema schema, IReadOnlyDictionary<string, long[]> fileShapes, CheckpointLayout layout) =>
        Check(schema, fileShapes, n => LayoutNames.ToCanonical(n, layout), n => LayoutNames.ToFile(n, layout));

    private static string? Check(TensorSchema schema, IReadOnlyDictionary<string, long[]> shapes,
        Func<string, string?> toCanonical, Func<string, string> display)
    {
        var unexpected = new List<string>();
        var mismatched = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var canonical = toCanonical(name);
            if (canonical is null || !schema.Accepts(canonical)) { unexpected.Add(name); continue; }
            present.Add(canonical);
            if (schema.Exact.TryGetValue(canonical, out var want) && !want.SequenceEqual(shape))
                mismatched.Add($"{name} has shape {Format(shape)}, the config implies {Format(want)}");
        }
        var missing = schema.Exact.Keys.Where(n => !present.Contains(n)).Order(StringComparer.Ordinal).Select(display).ToList();
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing tensors ({missing.Count}): {List(missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected tensors ({unexpected.Count}): {List(unexpected)}");
        if (mismatched.Count > 0) parts.Add($"shape mismatches ({mismatched.Count}): {List(mismatched)}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string List(List<string> items) =>
        string.Join(", ", items.Take(MaxListed)) + (items.Count > MaxListed ? $", ... and {items.Count - MaxListed} more" : "");

    private static string Format(long[] shape) => $"({string.Join(", ", shape)})";
}
