// Configuration sections as JSON: a plugin's section becomes the JsonObject that Core's catalog binds onto
// the plugin's options type. Configuration keeps arrays as keys 0..n-1 and every value as a string.
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace PluginMoE.Host.Configuration;

/// <summary>Converts configuration sections to JSON nodes.</summary>
public static class SectionJson
{
    /// <summary>
    /// The section as a JSON object, or null when it has no children. Children keyed 0..n-1 become arrays;
    /// values stay strings (the catalog's binder reads numbers and booleans from strings); empty values become null.
    /// </summary>
    public static JsonObject? ToObject(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return ToNode(section) as JsonObject;
    }

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return string.IsNullOrEmpty(section.Value) ? null : JsonValue.Create(section.Value);
        var indices = children.Select(c => int.TryParse(c.Key, out var i) ? i : -1).ToList();
        if (indices.Order().SequenceEqual(Enumerable.Range(0, children.Count)))
        {
            var array = new JsonArray();
            foreach (var c in children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture))) array.Add(ToNode(c));
            return array;
        }
        var obj = new JsonObject();
        foreach (var c in children) obj[c.Key] = ToNode(c);
        return obj;
    }
}
