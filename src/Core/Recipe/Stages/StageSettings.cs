// The fingerprint of a stage: the settings that define its output (key path -> value, from the resolved
// configuration with plugin options as bound), recorded in <stage>/settings.json when the stage starts, so a
// later invocation on the same run folder can tell exactly which settings it would change.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>A stage's defining settings, flattened to key paths (<c>Model:Moe:TopK</c>) with JSON values.</summary>
public sealed class StageSettings
{
    /// <summary>File in the stage folder that records the settings the stage's output was made with.</summary>
    public const string FileName = "settings.json";

    private StageSettings(SortedDictionary<string, string> values) => Values = values;

    /// <summary>Key path to the value as compact JSON (<c>2</c>, <c>"linear"</c>, <c>null</c>).</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>SHA-256 of the canonical form (sorted <c>key=value</c> lines).</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Concat(Values.Select(kv => $"{kv.Key}={kv.Value}\n")))));

    /// <summary>
    /// The settings of <paramref name="resolved"/> (a config.resolved.json object) under each of <paramref name="keys"/>,
    /// which are key paths of sections (<c>Model</c>) or single settings (<c>Run:Seed</c>).
    /// </summary>
    public static StageSettings From(JsonObject resolved, IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(keys);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            JsonNode? node = resolved;
            foreach (var part in key.Split(':')) node = node is JsonObject o ? o[part] : null;
            Flatten(key, node, values);
        }
        return new StageSettings(values);
    }

    /// <summary>These settings with every key replaced by <paramref name="map"/>'s answer, or left out where it answers null.</summary>
    public StageSettings Rekeyed(Func<string, string?> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Values)
            if (map(key) is { } k) values[k] = value;
        return new StageSettings(values);
    }

    /// <summary>The settings recorded in <paramref name="stageDirectory"/>, or null when none are.</summary>
    /// <exception cref="InvalidDataException">The file is not a settings record; the message names it.</exception>
    public static StageSettings? Read(string stageDirectory)
    {
        string path = Path.Combine(stageDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var settings = JsonNode.Parse(File.ReadAllText(path))?["settings"] as JsonObject ?? throw new JsonException("no \"settings\" object");
            var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in settings) values[key] = value?.GetValue<string>() ?? throw new JsonException($"'{key}' has no value");
            return new StageSettings(values);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not a stage settings record ({e.Message}); delete it to accept the current settings, or start the stage afresh with --restart", e);
        }
    }

    /// <summary>Records these settings in <paramref name="stageDirectory"/> (atomically).</summary>
    public void Write(string stageDirectory)
    {
        var settings = new JsonObject();
        foreach (var (key, value) in Values) settings[key] = value;
        AtomicFile.WriteAllText(Path.Combine(stageDirectory, FileName),
            new JsonObject { ["sha256"] = Sha256, ["settings"] = settings }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Every key whose value differs between <paramref name="stored"/> and these settings (absent keys included), sorted by key.</summary>
    public IReadOnlyList<SettingChange> ChangesFrom(StageSettings stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return [.. stored.Values.Keys.Union(Values.Keys).Order(StringComparer.Ordinal)
            .Select(k => new SettingChange(k, stored.Values.GetValueOrDefault(k), Values.GetValueOrDefault(k)))
            .Where(c => c.Stored != c.Current)];
    }

    private static void Flatten(string key, JsonNode? node, SortedDictionary<string, string> values)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o) Flatten($"{key}:{k}", v, values);
                break;
            case JsonArray a when a.Count > 0:
                for (int i = 0; i < a.Count; i++) Flatten($"{key}:{i}", a[i], values);
                break;
            default:
                values[key] = node?.ToJsonString() ?? "null";
                break;
        }
    }
}

/// <summary>One defining setting whose value differs from the one a stage's output was made with.</summary>
/// <param name="Key">Key path.</param>
/// <param name="Stored">The recorded value (compact JSON), or null when the setting was not recorded.</param>
/// <param name="Current">The value now, or null when the setting no longer exists.</param>
public sealed record SettingChange(string Key, string? Stored, string? Current)
{
    /// <summary>"Key: stored X, now Y".</summary>
    public override string ToString() => $"{Key}: stored {Stored ?? "(not set)"}, now {Current ?? "(not set)"}";
}

/// <summary>Whether a stage accepts a changed setting when it resumes (or is run again after it completed).</summary>
/// <param name="Allowed">True when the stage can continue with the new value.</param>
/// <param name="Note">What the change does (allowed) or why it cannot be applied (refused).</param>
/// <param name="Reopens">True when a completed stage must run again to apply the change (e.g. more training steps).</param>
public sealed record ResumeVerdict(bool Allowed, string Note, bool Reopens = false)
{
    /// <summary>Refuses the change.</summary>
    public static ResumeVerdict Refuse(string why) => new(false, why);
}
