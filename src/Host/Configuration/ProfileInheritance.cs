// Profiles that build on another: `"Extends": "quickstart"` (a profile name, or a path relative to the extending
// profile's folder) starts from that profile and applies this one on top. Objects merge key by key (keys compare
// case-insensitively, as settings do), while a value or an array given by the extending profile replaces the
// base's whole value (a list of globs or plugin folders is never half inherited). Chains are allowed; cycles are not.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Configuration;

/// <summary>Loads a profile with the profiles it extends.</summary>
public static class ProfileInheritance
{
    /// <summary>The key naming the profile a profile extends.</summary>
    public const string ExtendsKey = "Extends";

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// The settings of the profile at <paramref name="path"/> merged over those of the profiles it extends (without the
    /// <c>Extends</c> key), and the chain of files, base first.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is not valid JSON, <c>Extends</c> is not a string, names no profile, or the chain is a cycle.</exception>
    public static (JsonObject Settings, IReadOnlyList<string> Files) Load(string path, ConfigurationRequest request)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(request);
        var chain = new List<string>();
        var layers = new List<JsonObject>();
        string? current = path;
        while (current is not null)
        {
            if (chain.Contains(current, StringComparer.Ordinal))
                throw new ConfigurationException(
                    $"profile '{chain[0]}' extends itself: {string.Join(" -> ", chain.Append(current).Select(f => $"'{f}'"))}; remove one of the \"{ExtendsKey}\" settings");
            chain.Add(current);
            JsonFileCheck.EnsureValid(current, "profile");
            var json = JsonNode.Parse(File.ReadAllText(current), documentOptions: Options)!.AsObject();
            var extends = Find(json, ExtendsKey);
            if (extends.Key is not null) json.Remove(extends.Key);
            layers.Add(json);
            current = extends.Value switch
            {
                null => null,
                JsonValue v when v.TryGetValue(out string? name) && !string.IsNullOrWhiteSpace(name) => Resolve(name, current, request),
                var other => throw new ConfigurationException(
                    $"profile '{current}': {ExtendsKey} must be the name of a profile or a path to a .json file (for example \"{ExtendsKey}\": \"quickstart\"), got {other.ToJsonString()}"),
            };
        }
        var merged = new JsonObject();
        for (int i = layers.Count - 1; i >= 0; i--) Merge(merged, layers[i]);
        chain.Reverse();
        return (merged, chain);
    }

    /// <summary>A name is looked up beside the extending profile first, then where --profile looks; a path is relative to the extending profile's folder.</summary>
    private static string Resolve(string name, string extending, ConfigurationRequest request)
    {
        string folder = Path.GetDirectoryName(extending)!;
        bool isPath = name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || name.Contains('/') || name.Contains(Path.DirectorySeparatorChar);
        if (isPath)
        {
            string file = Path.GetFullPath(name, folder);
            return File.Exists(file) ? file : throw new ConfigurationException($"profile '{extending}': {ExtendsKey} names '{name}', but '{file}' does not exist");
        }
        string sibling = Path.Combine(folder, name + ".json");
        if (File.Exists(sibling)) return sibling;
        try { return ProfileLocator.Locate(name, request); }
        catch (ConfigurationException e) { throw new ConfigurationException($"profile '{extending}': {ExtendsKey}: {e.Message}", e); }
    }

    /// <summary>Applies <paramref name="over"/> onto <paramref name="target"/>: objects merge, anything else replaces.</summary>
    private static void Merge(JsonObject target, JsonObject over)
    {
        foreach (var (key, value) in over.ToList())
        {
            var existing = Find(target, key);
            if (value is JsonObject child && existing.Value is JsonObject into)
            {
                Merge(into, child);
                continue;
            }
            if (existing.Key is not null) target.Remove(existing.Key);
            target[key] = value?.DeepClone();
        }
    }

    private static KeyValuePair<string?, JsonNode?> Find(JsonObject o, string key)
    {
        foreach (var kv in o)
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)) return new(kv.Key, kv.Value);
        return new(null, null);
    }
}
