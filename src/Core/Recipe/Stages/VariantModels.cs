// What each recipe variant's MoE is: its Recipe:Variants settings over the profile's Model / Model:Moe settings
// (router, router options, top-k with the router's own default, balancing weights, and for a from-scratch variant
// the experts: plugin, options, count, widths), with plugin options bound by their plugins and the router built once
// as a start check. Used by the upcycle stage when it validates and when it runs.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>One variant as the upcycle stage builds it.</summary>
/// <param name="Name">Variant name.</param>
/// <param name="Settings">Its settings as given.</param>
/// <param name="Plan">The model with its plugin options bound once: for an upcycled variant the MoE settings the merge gets
/// (experts: one per domain unless set; its expert options come from the seed's checkpoint); from scratch, the whole model.</param>
/// <param name="Embedder">The embedder whose domain embeddings an upcycled variant gets; null from scratch.</param>
public sealed record VariantModel(string Name, VariantSettings Settings, ModelPlan Plan, string? Embedder)
{
    /// <summary>The model configuration (<see cref="Plan"/>'s).</summary>
    public ModelConfig Config => Plan.Config;

    /// <summary>True when the variant is merged from the seed and the experts.</summary>
    public bool IsUpcycled => Settings.IsUpcycled;

    /// <summary>The MoE settings.</summary>
    public MoeConfig Moe => Config.Moe!;
}

/// <summary>Resolves the recipe's variants against the Model section.</summary>
public static class VariantModels
{
    /// <summary>
    /// Every variant of <c>Recipe:Variants</c>; each problem is appended to <paramref name="errors"/> with its key path
    /// (then that variant is left out). <paramref name="domains"/> is the number of domains when known (at run time):
    /// an upcycled variant has one expert per domain unless it sets <see cref="VariantSettings.Experts"/>.
    /// </summary>
    public static IReadOnlyList<VariantModel> Resolve(ProfileSettings settings, IPluginProvider plugins, int? domains, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        var catalog = plugins.Catalog;
        var model = settings.Model;
        var result = new List<VariantModel>();
        foreach (var (name, v) in settings.Recipe.Variants)
        {
            string key = $"{RecipeSettings.SectionName}:Variants:{name}";
            int before = errors.Count;
            if (v.Problems().Any()) continue;   // reported by the section's own validation

            string routerName = string.IsNullOrWhiteSpace(v.Router) ? model.Moe.Router : v.Router;
            IRouterFactory? router = null;
            try { router = catalog.Router(routerName); }
            catch (KeyNotFoundException e) { errors.Add($"{key}:Router: {e.Message.Trim('\'', '"')}"); }
            var routerOptions = Inherit(model.Moe.RouterOptions, model.Moe.Router, v.RouterOptions, routerName);

            ModelConfig config = model.ToModelConfig() with { Moe = null };
            object? expertOptions = null;
            int? experts = v.Experts;
            if (v.IsUpcycled) experts ??= domains;
            else
            {
                experts ??= model.Moe.Experts > 0 ? model.Moe.Experts : null;
                if (experts is null) errors.Add($"{key}:Experts: required for From={VariantSettings.Scratch} (or set Model:Moe:Experts): the number of routed experts of the MoE");
                string expertName = string.IsNullOrWhiteSpace(v.Expert) ? model.Expert : v.Expert;
                try
                {
                    var factory = catalog.Expert(expertName);
                    var options = Inherit(model.ExpertOptions, model.Expert, v.ExpertOptions, expertName);
                    config = config with { ExpertType = expertName };
                    expertOptions = catalog.BindOptions(factory, options, $"{key}:ExpertOptions");
                }
                catch (KeyNotFoundException e) { errors.Add($"{key}:Expert: {e.Message.Trim('\'', '"')}"); }
                catch (ArgumentException e) { errors.AddRange(e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)); }
            }
            if (router is null || errors.Count > before) continue;

            int topK = v.TopK ?? model.Moe.TopK ?? Math.Max(1, Math.Min(router.DefaultTopK, experts ?? router.DefaultTopK));
            if (experts is int n && topK > n)
            {
                errors.Add($"{key}:TopK: value {topK} is not allowed: at most the number of experts ({n}{(v.IsUpcycled && v.Experts is null ? ", one per domain" : "")})");
                continue;
            }
            int? expertWidth = v.IsUpcycled ? null : v.ExpertIntermediateSize ?? (model.Moe.ExpertIntermediateSize > 0 ? model.Moe.ExpertIntermediateSize : null);
            int? shared = v.IsUpcycled ? null : v.SharedExpertIntermediateSize ?? (model.Moe.SharedExpertIntermediateSize > 0 ? model.Moe.SharedExpertIntermediateSize : null);
            object? boundRouterOptions;
            try { boundRouterOptions = catalog.BindOptions(router, routerOptions, $"{key}:RouterOptions"); }
            catch (ArgumentException e)
            {
                errors.AddRange(e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            config = config with
            {
                Moe = new MoeConfig
                {
                    NumExperts = experts ?? 0,
                    TopK = topK,
                    Router = routerName,
                    ExpertIntermediateSize = expertWidth,
                    SharedExpertIntermediateSize = shared is > 0 ? shared : null,
                    MoeLayers = model.Moe.Layers is { Length: > 0 } l ? l : null,
                    LoadBalanceWeight = v.LoadBalanceWeight ?? model.Moe.LoadBalanceWeight,
                    RouterZLossWeight = v.RouterZLossWeight ?? model.Moe.RouterZLossWeight,
                },
            };
            // The router of one block, built once now: heads that do not divide d, multi-head over upcycled experts, ... fail at start.
            var plan = ModelPlan.FromBound(config, expertOptions, boundRouterOptions);
            if (RouterCheck.Build(catalog, plan, key, v.IsUpcycled, errors, suppliedEmbeddings: v.IsUpcycled) is null) continue;
            result.Add(new VariantModel(name, v, plan, v.IsUpcycled ? settings.Recipe.EmbedderOf(v) : null));
        }
        return result;
    }

    /// <summary>The variant's plugin options: merged key by key over the Model section's when the plugin is the same one, else its own.</summary>
    private static JsonObject? Inherit(JsonObject? modelOptions, string modelPlugin, JsonObject? variantOptions, string variantPlugin)
    {
        if (!string.Equals(modelPlugin, variantPlugin, StringComparison.OrdinalIgnoreCase) || modelOptions is null)
            return variantOptions?.DeepClone().AsObject();
        var merged = modelOptions.DeepClone().AsObject();
        if (variantOptions is not null) Merge(merged, variantOptions);
        return merged;
    }

    private static void Merge(JsonObject target, JsonObject over)
    {
        foreach (var (k, value) in over)
        {
            if (value is JsonObject o && target[k] is JsonObject t) Merge(t, o);
            else target[k] = value?.DeepClone();
        }
    }
}
