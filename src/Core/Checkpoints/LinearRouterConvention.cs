// What the checkpoint layouts need to know about the `linear` router's options: whether its top-k
// gate weights are renormalised (Mixtral: yes; DeepSeek-MoE: norm_topk_prob).
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Checkpoints;

/// <summary>The <c>linear</c> router as Hugging Face MoE layouts describe it.</summary>
internal static class LinearRouterConvention
{
    /// <summary>Plugin name of the BTX/Mixtral linear router.</summary>
    public const string Name = "linear";

    /// <summary>Option key written when the renormalisation flag must be set explicitly.</summary>
    public const string RenormalizeKey = "Renormalize";

    /// <summary>Spellings accepted for the flag (options bind case-insensitively).</summary>
    private static readonly string[] RenormalizeKeys = ["renormalize", "renormalise", "normalize_top_k", "norm_topk_prob"];

    /// <summary>The router's canonical parameter (relative to the MoE block's <c>gate.</c> prefix).</summary>
    public const string WeightName = "weight";

    /// <summary>True when the options renormalise the top-k weights (the plugin's default).</summary>
    public static bool Renormalizes(JsonObject? options)
    {
        if (options is null) return true;
        foreach (var (key, value) in options)
            if (IsRenormalizeKey(key) && value is JsonValue v && v.TryGetValue(out bool b)) return b;
        return true;
    }

    /// <summary>True when the options hold nothing but the renormalisation flag (so HF layouts express them fully).</summary>
    public static bool OnlyRenormalize(JsonObject? options) =>
        options is null || options.All(kv => IsRenormalizeKey(kv.Key));

    /// <summary>Options with the flag set to <paramref name="renormalize"/>; unchanged when they already imply it.</summary>
    public static JsonObject? WithRenormalize(JsonObject? options, bool renormalize)
    {
        if (Renormalizes(options) == renormalize) return options;
        var copy = options is null ? [] : (JsonObject)options.DeepClone();
        foreach (var key in copy.Select(kv => kv.Key).Where(IsRenormalizeKey).ToList()) copy.Remove(key);
        copy[RenormalizeKey] = renormalize;
        return copy;
    }

    private static bool IsRenormalizeKey(string key) => RenormalizeKeys.Contains(key, StringComparer.OrdinalIgnoreCase);
}
