// A stage's own event log (log.jsonl): one JSON object per training step and evaluation, for plots and reports.
// On resume it is cut back to the checkpoint's step, so a resumed run's log equals an uninterrupted run's.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Appends JSON objects to a file, one per line.</summary>
public sealed class JsonlLog(string path) : IDisposable
{
    private readonly JsonlWriter _writer = new(path);

    /// <summary>Appends <paramref name="line"/>.</summary>
    public void Write(JsonObject line) => _writer.Write([line]);

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Removes the lines of <paramref name="path"/> whose <c>step</c> is after <paramref name="step"/>, and any line that is
    /// not a whole JSON object (a write cut short by a kill); returns how many were removed. A missing file is left missing.
    /// </summary>
    public static int TruncateAfterStep(string path, long step)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) return 0;
        var lines = File.ReadAllLines(path);
        var kept = lines.Where(l => Keep(l, step)).ToList();
        int removed = lines.Length - kept.Count;
        if (removed > 0) AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l + "\n")));
        return removed;
    }

    private static bool Keep(string line, long step)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject o && !(o["step"] is JsonValue v && v.TryGetValue<long>(out long s) && s > step);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
