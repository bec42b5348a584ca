// A model bound for building: its ModelConfig (what a checkpoint's config.json records) and, for every plugin slot
// (the model's expert, the router, each expert group), the plugin's typed options instance, bound and validated once.
// From a profile the recipe binds the options and the plan writes their JSON form into the config (for config.json);
// from a checkpoint the config's JSON options are bound once here. The plugin factories receive these instances:
// building a model never reads plugin options from JSON again.
using PluginMoE.Abstractions.Checkpoints;

namespace PluginMoE.Core.Composition;

/// <summary>A <see cref="ModelConfig"/> with its plugin options bound to their typed form.</summary>
public sealed class ModelPlan
{
    private readonly IReadOnlyList<object?>? _groups;

    private ModelPlan(ModelConfig config, object? expertOptions, object? routerOptions, IReadOnlyList<object?>? groupOptions)
    {
        Config = config;
        ExpertOptions = expertOptions;
        RouterOptions = routerOptions;
        _groups = groupOptions;
    }

    /// <summary>The configuration; its plugin options are the JSON form of the typed ones (what config.json records).</summary>
    public ModelConfig Config { get; }

    /// <summary>Bound options of <see cref="ModelConfig.ExpertType"/> (dense FFNs, shared experts, routed experts without a group of their own), or null.</summary>
    public object? ExpertOptions { get; }

    /// <summary>
    /// Bound options of <see cref="MoeConfig.Router"/>, or null (dense, or a router without options). After
    /// <c>TransformerLM.ToInference</c> the inference router's options, bound once when the form was applied
    /// (<see cref="WithRouter"/>); nested options of a wrapper router (<c>multi-head</c>'s <c>InnerOptions</c>) are bound with them.
    /// </summary>
    public object? RouterOptions { get; }

    /// <summary>Bound options of each <see cref="MoeConfig.ExpertGroups"/> entry (null for a group that takes <see cref="ExpertOptions"/> or has none); null without groups.</summary>
    public IReadOnlyList<object?>? GroupOptions => _groups;

    /// <summary>The expert plugin and bound options of routed expert <paramref name="expert"/> (the rules of <see cref="ModelConfig.RoutedExpert"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such expert.</exception>
    public (string Expert, object? Options) RoutedExpert(int expert)
    {
        if (Config.Moe?.ExpertGroups is not { } groups) return (Config.ExpertType, ExpertOptions);
        int first = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            if (expert >= first && expert < first + groups[g].Count)
                return (groups[g].Expert, _groups?[g] ?? (string.Equals(groups[g].Expert, Config.ExpertType, StringComparison.Ordinal) ? ExpertOptions : null));
            first += groups[g].Count;
        }
        throw new ArgumentOutOfRangeException(nameof(expert), expert, $"the expert groups hold {first} experts");
    }

    /// <summary>
    /// A plan from options already bound (from a profile); the config's JSON options become their persisted form
    /// (<see cref="PluginOptionsJson"/>). A group's entry in <paramref name="groupOptions"/> is null when it takes the model's options.
    /// </summary>
    /// <param name="config">The architecture; its JSON plugin options are replaced.</param>
    /// <param name="expertOptions">Bound options of the model's expert plugin, or null.</param>
    /// <param name="routerOptions">Bound options of the router plugin, or null.</param>
    /// <param name="groupOptions">Bound options per expert group (as many as <see cref="MoeConfig.ExpertGroups"/>), or null.</param>
    /// <exception cref="ArgumentException"><paramref name="groupOptions"/> does not have one entry per group.</exception>
    public static ModelPlan FromBound(ModelConfig config, object? expertOptions, object? routerOptions = null, IReadOnlyList<object?>? groupOptions = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        int groups = config.Moe?.ExpertGroups?.Count ?? 0;
        if (groupOptions is not null && groupOptions.Count != groups)
            throw new ArgumentException($"ModelPlan: {groupOptions.Count} group options for {groups} expert groups", nameof(groupOptions));
        config = config with { ExpertOptions = PluginOptionsJson.From(expertOptions) };
        if (config.Moe is { } moe)
            config = config with
            {
                Moe = moe with
                {
                    RouterOptions = PluginOptionsJson.From(routerOptions),
                    ExpertGroups = moe.ExpertGroups is { } list ? [.. list.Select((g, i) => g with { Options = PluginOptionsJson.From(groupOptions?[i]) })] : null,
                },
            };
        return new ModelPlan(config, expertOptions, config.Moe is null ? null : routerOptions, groups == 0 ? null : groupOptions ?? new object?[groups]);
    }

    /// <summary>
    /// Binds the JSON plugin options of <paramref name="config"/> (a loaded checkpoint's, or one built in code) once; the
    /// config is kept as given. Every slot is bound and all problems are reported together, one per line.
    /// </summary>
    /// <param name="config">The configuration.</param>
    /// <param name="catalog">Where the plugins come from.</param>
    /// <param name="keys">How messages name the slots (<see cref="PluginOptionKeys.Config"/> when null); with a file, every line names it first.</param>
    /// <exception cref="KeyNotFoundException">A plugin the config names is not in the catalog.</exception>
    /// <exception cref="ArgumentException">Options a plugin rejects; the message names the key path and the plugin.</exception>
    public static ModelPlan Bind(ModelConfig config, IComponentCatalog catalog, PluginOptionKeys? keys = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(catalog);
        keys ??= PluginOptionKeys.Config;
        var errors = new List<string>();
        object? Bound(Abstractions.Composition.IPluginFactory factory, System.Text.Json.Nodes.JsonObject? json, string key)
        {
            try { return catalog.BindOptions(factory, json, key); }
            catch (ArgumentException e)
            {
                errors.AddRange(e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => keys.File is null ? line : $"'{keys.File}': {line}"));
                return null;
            }
        }

        // The router first: an MoE block builds it before its experts, so a missing router plugin is what is reported.
        object? router = config.Moe is { } m ? Bound(catalog.Router(m.Router), m.RouterOptions, keys.RouterOptions) : null;
        var expert = Bound(catalog.Expert(config.ExpertType), config.ExpertOptions, keys.ExpertOptions);
        object?[]? groups = null;
        if (config.Moe is { } moe)
        {
            if (moe.ExpertGroups is { } list)
            {
                groups = new object?[list.Count];
                for (int g = 0; g < list.Count; g++)
                {
                    bool inherits = list[g].Options is null && string.Equals(list[g].Expert, config.ExpertType, StringComparison.Ordinal);
                    groups[g] = inherits ? null : Bound(catalog.Expert(list[g].Expert), list[g].Options, keys.Group(g));
                }
            }
        }
        if (errors.Count > 0) throw new ArgumentException(string.Join("\n", errors));
        return new ModelPlan(config, expert, router, groups);
    }

    /// <summary>This plan without MoE blocks (a dense model of the same expert plugin and options).</summary>
    public ModelPlan Dense() => new(Config with { Moe = null }, ExpertOptions, null, null);

    /// <summary>This plan with <see cref="ModelConfig.WithMoreExperts"/> applied (new experts take the model's expert options) and its MoE settings then changed by <paramref name="moe"/>.</summary>
    /// <exception cref="InvalidOperationException">The model is dense.</exception>
    public ModelPlan WithMoreExperts(int count, Func<MoeConfig, MoeConfig>? moe = null)
    {
        var grown = Config.WithMoreExperts(count);
        if (moe is not null) grown = grown with { Moe = moe(grown.Moe!) };
        var before = Config.Moe!.ExpertGroups?.Count ?? 0;
        IReadOnlyList<object?>? groups = grown.Moe!.ExpertGroups is { } list
            ? [.. Enumerable.Range(0, list.Count).Select(g => g < before ? _groups?[g] : null)]
            : null;
        return new ModelPlan(grown, ExpertOptions, RouterOptions, groups);
    }

    /// <summary>
    /// This plan with another router plugin and options (the inference form of the routers): <paramref name="options"/> is
    /// kept as the config's JSON (what config.json records, as the plugin gave it) and bound once through
    /// <paramref name="catalog"/>, as a checkpoint's options are.
    /// </summary>
    /// <param name="router">The inference form's router plugin.</param>
    /// <param name="options">Its options as the plugin gave them, or null for its defaults.</param>
    /// <param name="catalog">Where the plugin comes from.</param>
    /// <exception cref="KeyNotFoundException">The plugin is not in the catalog.</exception>
    /// <exception cref="ArgumentException">The plugin rejects the options; one line per problem, each naming the key (<see cref="PluginOptionKeys.Config"/> paths).</exception>
    internal ModelPlan WithRouter(string router, System.Text.Json.Nodes.JsonObject? options, IComponentCatalog catalog)
    {
        var bound = catalog.BindOptions(catalog.Router(router), options, PluginOptionKeys.Config.RouterOptions);
        return new(Config with { Moe = Config.Moe! with { Router = router, RouterOptions = options } }, ExpertOptions, bound, _groups);
    }
}
