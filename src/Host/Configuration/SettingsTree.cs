// The settings of all layers as one JSON tree, so that a list is a value of its own: a layer that gives a list
// (a JSON array, "a,b" on the command line, or items Key:0, Key:1, ... in environment variables and overrides)
// replaces the list of the layers below it whole, instead of the configuration system's item-by-item merge
// (which let --Run:Seeds=1 over a profile's [1, 2, 3] keep three seeds). The tree is then flattened into the
// configuration keys (Section:Key:0) the options binders read.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Host.Configuration;

/// <summary>Applies key-value layers onto a settings tree and flattens it into configuration keys.</summary>
public static class SettingsTree
{
    /// <summary>
    /// Applies <paramref name="layer"/> (<c>Section:Key</c> paths, lowest priority first within the layer) onto
    /// <paramref name="tree"/>. Where a path reaches into a list of the tree, that list is first emptied (once per
    /// layer), so the layer's items replace it whole; a value given where the tree holds a list or a section replaces it.
    /// </summary>
    public static void Apply(JsonObject tree, IEnumerable<KeyValuePair<string, string?>> layer)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(layer);
        var emptied = new HashSet<JsonArray>(ReferenceEqualityComparer.Instance);
        foreach (var (key, value) in layer)
        {
            var segments = key.Split(':');
            JsonNode parent = tree;
            for (int i = 0; i < segments.Length; i++)
            {
                bool last = i == segments.Length - 1;
                var child = Get(parent, segments[i]);
                if (last)
                {
                    Set(parent, segments[i], value is null ? null : JsonValue.Create(value));
                    break;
                }
                bool nextIsIndex = IsIndex(segments[i + 1]);
                if (child is JsonArray list)
                {
                    if (emptied.Add(list)) list.Clear();   // this layer gives the list: it replaces the one below
                    if (!nextIsIndex)
                    {
                        // Keys that are not indices under a list: the list becomes a section (the binder says what is wrong).
                        child = new JsonObject();
                        Set(parent, segments[i], child);
                    }
                }
                else if (child is not JsonObject)
                {
                    child = nextIsIndex ? new JsonArray() : new JsonObject();
                    if (child is JsonArray fresh) emptied.Add(fresh);
                    Set(parent, segments[i], child);
                }
                parent = child;
            }
        }
    }

    /// <summary>
    /// The tree as configuration keys: objects and arrays nest with ':' (items by index), values as text (numbers as
    /// written, booleans True/False as the JSON configuration provider gives them), an empty section or list as a key
    /// without a value, null items of a list left out.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> Flatten(JsonObject tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var result = new List<KeyValuePair<string, string?>>();
        foreach (var (key, value) in tree) Flatten(key, value, result);
        return result;
    }

    /// <summary>A copy of <paramref name="tree"/> without its null values (a defaults file's nulls set nothing).</summary>
    public static JsonObject WithoutNulls(JsonObject tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var copy = new JsonObject();
        foreach (var (key, value) in tree)
            if (value is not null) copy[key] = value is JsonObject o ? WithoutNulls(o) : value.DeepClone();
        return copy;
    }

    private static void Flatten(string path, JsonNode? node, List<KeyValuePair<string, string?>> result)
    {
        switch (node)
        {
            case null:
                return;
            case JsonObject o when o.Count == 0:
            case JsonArray a when a.Count == 0:
                result.Add(new(path, null));
                return;
            case JsonObject o:
                foreach (var (key, value) in o) Flatten($"{path}:{key}", value, result);
                return;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) Flatten(string.Create(CultureInfo.InvariantCulture, $"{path}:{i}"), a[i], result);
                return;
            case JsonValue v:
                result.Add(new(path, v.GetValueKind() switch
                {
                    JsonValueKind.String => v.GetValue<string>(),
                    JsonValueKind.True => bool.TrueString,
                    JsonValueKind.False => bool.FalseString,
                    _ => v.ToJsonString(),
                }));
                return;
        }
    }

    private static bool IsIndex(string segment) => int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static JsonNode? Get(JsonNode parent, string segment) => parent switch
    {
        JsonObject o => Find(o, segment) is { } k ? o[k] : null,
        JsonArray a => int.Parse(segment, CultureInfo.InvariantCulture) is var i && i < a.Count ? a[i] : null,
        _ => null,
    };

    private static void Set(JsonNode parent, string segment, JsonNode? value)
    {
        if (parent is JsonArray a)
        {
            int i = int.Parse(segment, CultureInfo.InvariantCulture);
            while (a.Count <= i) a.Add(null);
            a[i] = value;
            return;
        }
        var o = (JsonObject)parent;
        if (Find(o, segment) is { } existing) o.Remove(existing);
        o[segment] = value;
    }

    private static string? Find(JsonObject o, string key)
    {
        foreach (var kv in o)
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)) return kv.Key;
        return null;
    }
}
