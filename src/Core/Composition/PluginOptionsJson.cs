// The persisted form of a plugin's bound options: the typed instance serialised as a JSON object (numbers as numbers,
// every property written), as a checkpoint's config.json, a run's settings.json and merge provenance record them.
// The one place typed options become JSON; building from them never goes back through JSON (ModelPlan).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Composition;

/// <summary>Typed plugin options to their JSON form.</summary>
public static class PluginOptionsJson
{
    /// <summary>The JSON object of <paramref name="options"/> (an instance of a plugin's options type), or null for none.</summary>
    public static JsonObject? From(object? options) => options switch
    {
        null => null,
        JsonObject json => (JsonObject)json.DeepClone(),
        _ => JsonSerializer.SerializeToNode(options, options.GetType()) as JsonObject,
    };
}
