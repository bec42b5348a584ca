// Which canonical tensors are a layer's FFN: everything under model.layers.{i}.mlp. in a dense checkpoint
// (whatever the expert type names its parameters), and the routed experts, shared expert and router inside
// an MoE block. Everything else (embeddings, attention, norms, LM head) is a "non-FFN" parameter.
using System.Globalization;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Classifies canonical tensor names.</summary>
internal static class FfnNames
{
    /// <summary>Prefix of PluginMoE's extra tensors (domain embeddings), which no merge averages.</summary>
    public const string ExtraPrefix = "pluginmoe.";

    /// <summary>The layer whose FFN block holds <paramref name="name"/>, or -1 for a non-FFN tensor.</summary>
    public static int FfnLayer(string name)
    {
        const string p = "model.layers.";
        if (!name.StartsWith(p, StringComparison.Ordinal)) return -1;
        int dot = name.IndexOf('.', p.Length);
        if (dot < 0 || !int.TryParse(name.AsSpan(p.Length, dot - p.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int layer)) return -1;
        return name.AsSpan(dot + 1).StartsWith("mlp.", StringComparison.Ordinal) ? layer : -1;
    }

    /// <summary>True for tensors every merge averages or mixes: not FFN, not a PluginMoE extra.</summary>
    public static bool IsShared(string name) => FfnLayer(name) < 0 && !name.StartsWith(ExtraPrefix, StringComparison.Ordinal);

    /// <summary>The FFN tensors of layer <paramref name="layer"/> of a dense checkpoint, as names relative to <c>mlp.</c>.</summary>
    public static IReadOnlyList<string> DenseFfn(MergeInput dense, int layer)
    {
        var prefix = CanonicalNames.Mlp(layer);
        return [.. dense.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]).Order(StringComparer.Ordinal)];
    }
}
