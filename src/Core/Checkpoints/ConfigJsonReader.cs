// Typed reads from a parsed config.json whose errors name the file, the key path, the value found and
// what is expected (types, and the allowed range of values). Absent keys and JSON null both mean "not given".
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Reads keys of one JSON object of config.json (keys are reported as <c>prefix.key</c>).</summary>
/// <param name="File">The config.json path, for messages.</param>
/// <param name="Prefix">Key path of the object being read ("" at the top level, "pluginmoe." inside the section).</param>
internal sealed record ConfigJsonReader(string File, string Prefix = "")
{
    /// <summary>Listed after "required key ... is missing": which keys the file's kind needs.</summary>
    public string RequiredHint { get; init; } = "";

    /// <summary>A reader for the object under <paramref name="key"/>.</summary>
    public ConfigJsonReader In(string key) => this with { Prefix = $"{Prefix}{key}." };

    /// <summary>An error about <paramref name="key"/>: "'file': key 'path' detail".</summary>
    public CheckpointFormatException Error(string key, string detail) =>
        new(File, $"'{File}': key '{Prefix}{key}' {detail}");

    public int RequiredInt(JsonObject o, string key) => OptionalInt(o, key) ?? throw Missing(key);

    /// <summary>
    /// Throws "key 'path' is V; allowed values are MIN to MAX[ (why)]" unless <paramref name="min"/> &lt;= <paramref name="value"/>
    /// &lt;= <paramref name="max"/>; <paramref name="key"/> is the full key path as the file spells it (e.g. <c>pluginmoe.moe.top_k</c>).
    /// </summary>
    public void InRange(string key, long value, long min, long max, string why = "")
    {
        if (value < min || value > max)
            throw Error(key, $"is {value.ToString(CultureInfo.InvariantCulture)}; allowed values are {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}{(why.Length > 0 ? $" ({why})" : "")}");
    }

    /// <summary>Throws "key 'path' is V; it must be greater than MIN[ and at most MAX]" unless <paramref name="value"/> is finite and in range.</summary>
    public void InRange(string key, double value, double exclusiveMin, double max = double.PositiveInfinity)
    {
        if (!(value > exclusiveMin && value <= max && double.IsFinite(value)))
            throw Error(key, $"is {value.ToString("R", CultureInfo.InvariantCulture)}; it must be greater than {exclusiveMin.ToString(CultureInfo.InvariantCulture)}" +
                (double.IsPositiveInfinity(max) ? "" : $" and at most {max.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>Throws "key 'path' is V; it must be a finite number, at least 0" for negative or infinite weights and coefficients.</summary>
    public void NotNegative(string key, double value)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw Error(key, $"is {value.ToString("R", CultureInfo.InvariantCulture)}; it must be a finite number, at least 0");
    }

    public int Int(JsonObject o, string key, int fallback) => OptionalInt(o, key) ?? fallback;

    public int? OptionalInt(JsonObject o, string key) => Get(o, key) switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonValue v when v.TryGetValue(out double x) && x == Math.Floor(x) && Math.Abs(x) <= int.MaxValue => (int)x,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)
            && l is >= int.MinValue and <= int.MaxValue => (int)l,
        var n => throw Error(key, $"must be an integer, got {n.ToJsonString()}"),
    };

    public double Double(JsonObject o, string key, double fallback) => Get(o, key) switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out double x) => x,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) => x,
        var n => throw Error(key, $"must be a number, got {n.ToJsonString()}"),
    };

    public bool Bool(JsonObject o, string key, bool fallback) => Get(o, key) switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var n => throw Error(key, $"must be true or false, got {n.ToJsonString()}"),
    };

    public string String(JsonObject o, string key, string fallback) => OptionalString(o, key) ?? fallback;

    public string RequiredString(JsonObject o, string key) => OptionalString(o, key) ?? throw Missing(key);

    public string? OptionalString(JsonObject o, string key) => Get(o, key) switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var n => throw Error(key, $"must be a string, got {n.ToJsonString()}"),
    };

    /// <summary>A copy of the object under <paramref name="key"/> (detached from the document), or null.</summary>
    public JsonObject? Object(JsonObject o, string key) => Get(o, key) switch
    {
        null => null,
        JsonObject obj => Copy(obj, key),
        var n => throw Error(key, $"must be a JSON object, got {n.ToJsonString()}"),
    };

    public int[]? IntArray(JsonObject o, string key) => Get(o, key) switch
    {
        null => null,
        JsonArray a when a.All(e => e is JsonValue v && v.TryGetValue(out int _)) => [.. a.Select(e => e!.GetValue<int>())],
        var n => throw Error(key, $"must be an array of integers, got {n.ToJsonString()}"),
    };

    public string[]? StringArray(JsonObject o, string key) => Get(o, key) switch
    {
        null => null,
        JsonArray a when a.All(e => e is JsonValue v && v.TryGetValue(out string? _)) => [.. a.Select(e => e!.GetValue<string>())],
        var n => throw Error(key, $"must be an array of strings, got {n.ToJsonString()}"),
    };

    private CheckpointFormatException Missing(string key) =>
        new(File, $"'{File}': required key '{Prefix}{key}' is missing{RequiredHint}");

    /// <summary>The node under <paramref name="key"/>; JSON null counts as absent.</summary>
    private JsonNode? Get(JsonObject o, string key)
    {
        try
        {
            return o.TryGetPropertyValue(key, out var n) && n is not null && n.GetValueKind() != JsonValueKind.Null ? n : null;
        }
        catch (ArgumentException e) // JsonObject reads its properties on first use and refuses a key given twice
        {
            throw Duplicate(Prefix.TrimEnd('.'), e);
        }
    }

    private JsonObject Copy(JsonObject obj, string key)
    {
        try { return (JsonObject)obj.DeepClone(); }
        catch (ArgumentException e) { throw Duplicate(Prefix + key, e); }
    }

    private CheckpointFormatException Duplicate(string where, ArgumentException e) =>
        new(File, $"'{File}': {(where.Length == 0 ? "the top-level object" : $"the object '{where}'")} gives a key more than once ({e.Message}); keep one of each", e);
}
