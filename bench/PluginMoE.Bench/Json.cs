// Minimal JSON-line formatting and parsing for the benchmark output (one flat object per line).
using System.Globalization;
using System.Text.Json;

namespace PluginMoE.Bench;

internal static class Json
{
    public static string Num(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "null";

    public static string Key(string op, long[] shape, IReadOnlyDictionary<string, string> tags)
    {
        var s = $"\"op\":\"{op}\",\"shape\":[{string.Join(",", shape)}]";
        foreach (var (k, v) in tags.OrderBy(t => t.Key, StringComparer.Ordinal)) s += $",\"{k}\":\"{v}\"";
        return s;
    }

    /// <summary>Key of a parsed result line (same field order as <see cref="Key"/>), plus its numbers.</summary>
    public static (string key, Dictionary<string, double> numbers) Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var op = root.GetProperty("op").GetString()!;
        var shape = root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var tags = new Dictionary<string, string>();
        var numbers = new Dictionary<string, double>();
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name is "op" or "shape") continue;
            if (p.Value.ValueKind == JsonValueKind.String) tags[p.Name] = p.Value.GetString()!;
            else if (p.Value.ValueKind == JsonValueKind.Number) numbers[p.Name] = p.Value.GetDouble();
        }
        tags.Remove("impl");
        return (Key(op, shape, tags), numbers);
    }
}
