// Profiles that build on another: `"Extends": "quickstart"` (a profile name, or a path relative to the extending
// profile's folder) starts from that profile and applies this one on top. Objects merge key by key (keys compare
// case-insensitively, as settings do), while a value or an array given by the extending profile replaces the
// base's whole value (a list of globs or plugin folders is never half inherited, nor merged item by item). A JSON
// null removes what is inherited under that key (`"Variants": { "nexus": null }` drops the base's nexus variant, so
// the setting falls back to its built-in default); a null where nothing is inherited is refused naming the file and
// key, as it is most likely a misspelt name. Chains are allowed; cycles are not.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Configuration;

/// <summary>The merged settings of a profile chain, its files (base first) and the keys its nulls removed.</summary>
/// <param name="Settings">The settings (without <c>Extends</c>), merged over the given defaults.</param>
/// <param name="Files">The profile files, base first.</param>
/// <param name="Removed">Key paths (<c>Recipe:Variants:nexus</c>) that a null removed, with the file that removed each.</param>
public sealed record ProfileChain(JsonObject Settings, IReadOnlyList<string> Files, IReadOnlyList<KeyValuePair<string, string>> Removed);

/// <summary>Loads a profile with the profiles it extends.</summary>
public static class ProfileInheritance
{
    /// <summary>The key naming the profile a profile extends.</summary>
    public const string ExtendsKey = "Extends";

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// The settings of the profile at <paramref name="path"/> merged over those of the profiles it extends (without the
    /// <c>Extends</c> key), all of them over <paramref name="defaults"/> (the defaults file's settings, or none), and the
    /// chain of files, base first.
    /// </summary>
    /// <exception cref="ConfigurationException">
    /// A file is not valid JSON, <c>Extends</c> is not a string, names no profile, or the chain is a cycle; or a null
    /// removes a key that nothing below it sets.
    /// </exception>
    public static ProfileChain Load(string path, ConfigurationRequest request, JsonObject? defaults = null)
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
        var merged = defaults?.DeepClone().AsObject() ?? new JsonObject();
        var removed = new List<KeyValuePair<string, string>>();
        for (int i = layers.Count - 1; i >= 0; i--) Merge(merged, layers[i], chain[i], "", removed);
        chain.Reverse();
        return new ProfileChain(merged, chain, removed);
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

    /// <summary>
    /// Applies <paramref name="over"/> (from <paramref name="file"/>) onto <paramref name="target"/>: objects merge, a null
    /// removes the key, anything else replaces it.
    /// </summary>
    private static void Merge(JsonObject target, JsonObject over, string file, string prefix, List<KeyValuePair<string, string>> removed)
    {
        foreach (var (key, value) in over.ToList())
        {
            string path = prefix.Length == 0 ? key : $"{prefix}:{key}";
            var existing = Find(target, key);
            if (value is null)
            {
                if (existing.Key is null) throw NothingToRemove(file, path, target, key, prefix);
                target.Remove(existing.Key);
                removed.Add(new(path, file));
                continue;
            }
            if (value is JsonObject child)
            {
                if (existing.Value is not JsonObject into)
                {
                    // Nothing to merge with: an object of its own (its nulls, removing nothing, are refused).
                    if (existing.Key is not null) target.Remove(existing.Key);
                    into = new JsonObject();
                    target[key] = into;
                }
                Merge(into, child, file, path, removed);
                continue;
            }
            if (existing.Key is not null) target.Remove(existing.Key);
            target[key] = value.DeepClone();
        }
    }

    private static ConfigurationException NothingToRemove(string file, string path, JsonObject target, string key, string prefix)
    {
        var keys = target.Select(kv => kv.Key).ToList();
        string there = keys.Count == 0
            ? prefix.Length == 0 ? "nothing is set at all" : $"nothing is set under {prefix}"
            : $"{(prefix.Length == 0 ? "the sections set are" : $"{prefix} has")} {string.Join(", ", keys)}{NameSuggestions.Hint(key, keys)}";
        return new ConfigurationException(
            $"profile '{file}': {path} is null, which removes an inherited setting, but neither the profiles it extends nor the defaults set it ({there}); " +
            "remove that line, or write the name of a setting that is inherited");
    }

    private static KeyValuePair<string?, JsonNode?> Find(JsonObject o, string key)
    {
        foreach (var kv in o)
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)) return new(kv.Key, kv.Value);
        return new(null, null);
    }
}
