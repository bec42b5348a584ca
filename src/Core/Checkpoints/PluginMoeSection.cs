// config.json's "pluginmoe" section: what Hugging Face configs lack (router plugin and options, expert
// type, domains, loss weights, MoE layer set) and the checksum of model.safetensors.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Checkpoints;

/// <summary>Writes and reads the <c>pluginmoe</c> section of config.json.</summary>
internal static class PluginMoeSection
{
    public const string Key = "pluginmoe";
    public const string FormatVersion = "format_version";
    public const string Sha256 = "sha256";
    public const string WeightsFile = "model.safetensors";

    /// <summary>The section for <paramref name="c"/>, with the SHA-256 (lower-case hex) of model.safetensors. When
    /// <paramref name="routerFromForm"/> (a checkpoint imported from another tool, whose router options are not known) the
    /// router is not named, so that reading it again derives the router from the Hugging Face keys as before.</summary>
    public static JsonObject Write(ModelConfig c, string sha256, bool routerFromForm = false)
    {
        var s = new JsonObject
        {
            [FormatVersion] = 1,
            ["expert_type"] = c.ExpertType,
        };
        if (c.ExpertOptions is not null) s["expert_options"] = c.ExpertOptions.DeepClone();
        if (c.Moe is { } m)
        {
            var moe = new JsonObject();
            if (!routerFromForm) moe["router"] = m.Router;
            moe["num_experts"] = m.NumExperts;
            moe["top_k"] = m.TopK;
            if (m.RouterOptions is not null && !routerFromForm) moe["router_options"] = m.RouterOptions.DeepClone();
            if (m.ExpertGroups is { } groups)
                moe["expert_groups"] = new JsonArray([.. groups.Select(g =>
                {
                    var o = new JsonObject { ["expert"] = g.Expert, ["count"] = g.Count };
                    if (g.Options is not null) o["options"] = g.Options.DeepClone();
                    return (JsonNode)o;
                })]);
            if (m.ExpertIntermediateSize is not null) moe["expert_intermediate_size"] = m.ExpertIntermediateSize;
            if (m.SharedExpertIntermediateSize is not null) moe["shared_expert_intermediate_size"] = m.SharedExpertIntermediateSize;
            if (m.MoeLayers is not null) moe["moe_layers"] = new JsonArray([.. m.MoeLayers.Select(i => (JsonNode)i)]);
            moe["domains"] = new JsonArray([.. m.Domains.Select(d => (JsonNode)d)]);
            moe["load_balance_weight"] = m.LoadBalanceWeight;
            moe["router_z_loss_weight"] = m.RouterZLossWeight;
            s["moe"] = moe;
        }
        s[Sha256] = new JsonObject { [WeightsFile] = sha256 };
        return s;
    }

    /// <summary>Applies the section's expert settings to <paramref name="c"/>; returns its MoE settings (null when absent)
    /// and whether they name the router.</summary>
    public static (ModelConfig Config, MoeConfig? Moe, bool RouterNamed) Read(JsonObject? section, ModelConfig c, ConfigJsonReader r)
    {
        if (section is null) return (c, null, false);
        var p = r.In(Key);
        int version = p.Int(section, FormatVersion, 1);
        if (version != 1)
            throw p.Error(FormatVersion, $"is {version}; this PluginMoE reads format version 1 (a newer PluginMoE wrote this checkpoint)");
        c = c with
        {
            ExpertType = p.String(section, "expert_type", c.ExpertType),
            ExpertOptions = p.Object(section, "expert_options"),
        };
        if (p.Object(section, "moe") is not { } m) return (c, null, false);
        var q = p.In("moe");
        var defaults = new MoeConfig();
        var moe = new MoeConfig
        {
            Router = q.String(m, "router", defaults.Router),
            RouterOptions = q.Object(m, "router_options"),
            NumExperts = q.Int(m, "num_experts", defaults.NumExperts),
            TopK = q.Int(m, "top_k", defaults.TopK),
            ExpertGroups = ExpertGroups(m, q),
            ExpertIntermediateSize = q.OptionalInt(m, "expert_intermediate_size"),
            SharedExpertIntermediateSize = q.OptionalInt(m, "shared_expert_intermediate_size"),
            MoeLayers = q.IntArray(m, "moe_layers"),
            Domains = q.StringArray(m, "domains") ?? [],
            LoadBalanceWeight = q.Double(m, "load_balance_weight", defaults.LoadBalanceWeight),
            RouterZLossWeight = q.Double(m, "router_z_loss_weight", defaults.RouterZLossWeight),
        };
        return (c, moe, m.ContainsKey("router"));
    }

    /// <summary>The <c>expert_groups</c> list ({"expert", "count", "options"} objects), or null when absent.</summary>
    private static List<ExpertGroup>? ExpertGroups(JsonObject moe, ConfigJsonReader q)
    {
        if (!moe.TryGetPropertyValue("expert_groups", out var node) || node is null) return null;
        if (node is not JsonArray items)
            throw q.Error("expert_groups", "must be a list of {\"expert\": name, \"count\": n} objects");
        var groups = new List<ExpertGroup>();
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject g)
                throw q.Error("expert_groups", $"item {i} must be an object {{\"expert\": name, \"count\": n}}");
            var r = q.In($"expert_groups.{i}");
            var expert = r.OptionalString(g, "expert") ?? throw r.Error("expert", "is missing: the expert plugin of the group");
            int count = r.Int(g, "count", 0);
            r.InRange("count", count, 1, 1 << 16);
            groups.Add(new ExpertGroup(expert, count) { Options = r.Object(g, "options") });
        }
        return groups;
    }

    /// <summary>The recorded SHA-256 of model.safetensors, or null (files written by other tools have none).</summary>
    public static string? Checksum(JsonObject? section, ConfigJsonReader r) =>
        section is not null && r.In(Key).Object(section, Sha256) is { } sums
            ? r.In(Key).In(Sha256).OptionalString(sums, WeightsFile)
            : null;
}
