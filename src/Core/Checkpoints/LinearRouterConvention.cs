// What the checkpoint layouts need to know about the `linear` router's options (plugins/Routers
// LinearRouterOptions, bound case-insensitively): how gate weights are normalised, and which options
// leave the inference math unchanged (so Hugging Face layouts still describe the model exactly).
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Checkpoints;

/// <summary>The <c>linear</c> router as Hugging Face MoE layouts describe it.</summary>
internal static class LinearRouterConvention
{
    /// <summary>Plugin name of the BTX/Mixtral linear router.</summary>
    public const string Name = "linear";

    /// <summary>The router's canonical parameter (relative to the MoE block's <c>gate.</c> prefix).</summary>
    public const string WeightName = "weight";

    /// <summary>Option naming how gate weights are formed.</summary>
    public const string NormalizeKey = "Normalize";

    /// <summary>Softmax over the top-k logits (= Mixtral's softmax, top-k, renormalise; the plugin's default).</summary>
    public const string TopKSoftmax = "topk-softmax";

    /// <summary>Softmax over all experts, top-k probabilities kept as they are (DeepSeek-MoE norm_topk_prob=false).</summary>
    public const string SoftmaxTopK = "softmax-topk";

    /// <summary>Option holding the training-time input jitter (Mixtral's <c>router_jitter_noise</c>).</summary>
    public const string JitterKey = "JitterNoise";

    /// <summary>Options that do not change the routing of a trained model (initialisation, extension, training noise).</summary>
    private static readonly string[] InferenceNeutral = [NormalizeKey, JitterKey, "InitStd", "ExtendMode", "ExpandInit"];

    /// <summary>True when the options renormalise the top-k weights (the plugin's default).</summary>
    public static bool Renormalizes(JsonObject? options) => Find(options, NormalizeKey) is not JsonValue v
        || !v.TryGetValue(out string? s) || !string.Equals(s, SoftmaxTopK, StringComparison.OrdinalIgnoreCase);

    /// <summary>The jitter noise the options set (0 when absent).</summary>
    public static double Jitter(JsonObject? options) =>
        Find(options, JitterKey) is JsonValue v && v.TryGetValue(out double d) ? d : 0;

    /// <summary>True when every option is one whose effect Hugging Face layouts describe or that inference ignores.</summary>
    public static bool OnlyInferenceNeutral(JsonObject? options) =>
        options is null || options.All(kv => InferenceNeutral.Contains(kv.Key, StringComparer.OrdinalIgnoreCase));

    /// <summary>Options that renormalise as told; unchanged when they already do.</summary>
    public static JsonObject? WithRenormalize(JsonObject? options, bool renormalize) =>
        Renormalizes(options) == renormalize ? options : With(options, NormalizeKey, renormalize ? TopKSoftmax : SoftmaxTopK);

    /// <summary>Options with the given jitter; unchanged when they already have it.</summary>
    public static JsonObject? WithJitter(JsonObject? options, double jitter) =>
        Jitter(options) == jitter ? options : With(options, JitterKey, jitter);

    private static JsonObject With(JsonObject? options, string key, JsonNode value)
    {
        var copy = options is null ? [] : (JsonObject)options.DeepClone();
        foreach (var k in copy.Select(kv => kv.Key).Where(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)).ToList()) copy.Remove(k);
        copy[key] = value;
        return copy;
    }

    private static JsonNode? Find(JsonObject? options, string key) =>
        options?.FirstOrDefault(kv => string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
}
