// Recipe stage "upcycle": every Recipe:Variants entry merges the seed and the domain experts into an MoE with its
// merge strategy and router (e.g. nexus with domain embeddings, btx with a linear router); with Recipe:Baselines,
// also the dense 'average' merge. Waits for nothing: it refuses to start until every expert checkpoint is present
// and loads (so branch jobs run elsewhere must have finished).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Stages;

/// <summary>Writes upcycle/&lt;variant&gt;/model for every variant (and upcycle/average).</summary>
public sealed class UpcycleStage : RecipeStage
{
    /// <summary>Name of the dense average-merge baseline.</summary>
    public const string Average = "average";

    /// <inheritdoc/>
    public override string Name => "upcycle";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(HostSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        if (settings.Recipe.Variants.Count == 0)
            errors.Add("Recipe:Variants: no variant to compare; name at least one, e.g. Recipe:Variants:linear:Merge=btx and Recipe:Variants:linear:Router=linear");
        foreach (var (name, v) in settings.Recipe.Variants)
        {
            if (name == Average) errors.Add($"Recipe:Variants:{name}: the name '{Average}' is taken by the average-merge baseline; choose another");
            // Empty names are reported by the section's own validation.
            if (!string.IsNullOrWhiteSpace(v.Merge))
            {
                try
                {
                    var strategy = plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, v.Merge);
                    Cli.MergeSupport.Bind(plugins.Catalog, strategy, v.MergeOptions, $"Recipe:Variants:{name}:MergeOptions");
                    if (v.Experts is not null && strategy.TakesExperts)
                        errors.Add($"Recipe:Variants:{name}:Experts: merge strategy '{v.Merge}' has one expert per domain; Experts applies to strategies that build from the seed alone (sparse-upcycle)");
                }
                catch (Exception e) when (e is KeyNotFoundException or Plugins.PluginLoadException) { errors.Add($"Recipe:Variants:{name}:Merge: {e.Message}"); }
                catch (ConfigurationException e) { errors.Add(e.Message); }
            }
            if (!string.IsNullOrWhiteSpace(v.Router))
            {
                try { Cli.MergeSupport.CheckRouter(plugins.Catalog, v.Router, null); }
                catch (ConfigurationException e) { errors.Add($"Recipe:Variants:{name}:Router: {e.Message}"); }
            }
        }
        return base.Validate(settings, plugins, errors);
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        string dir = context.Run.Stage(Name);
        string seedDir = Path.Combine(Input(context, "seed"), "dense");
        string branch = Input(context, "branch");
        var data = LoadData(context, cancellationToken);
        var domains = data.Train.Domains;
        var missing = domains.Where(d => !Directory.Exists(Path.Combine(branch, d, ModelFolder))).ToList();
        if (missing.Count > 0)
            throw new ConfigurationException($"upcycle: no expert checkpoint for domain(s) {string.Join(", ", missing)} in {branch}; run the branch stage for them first");
        // Memory-mapped: merges read one input tensor at a time and the result is written tensor by tensor.
        var opened = new List<MappedCheckpoint>();
        try
        {
            var seed = Opened(opened, MappedCheckpoint.Open(Path.Combine(seedDir, ModelFolder))).Checkpoint;
            var experts = domains.Select(d =>
            {
                try { return (Domain: d, Checkpoint: Opened(opened, MappedCheckpoint.Open(Path.Combine(branch, d, ModelFolder))).Checkpoint); }
                catch (CheckpointFormatException e) { throw new ConfigurationException($"upcycle: expert '{d}' in {Path.Combine(branch, d, ModelFolder)} cannot be read: {e.Message}; rerun it with --restart branch", e); }
            }).ToList();
            EmbeddingFile? embeddings = context.Run.IsComplete("embed") ? EmbedStage.Load(Path.Combine(context.Run.Path, "embed")) : null;

            var jobs = settings.Recipe.Variants.Select(kv => (Name: kv.Key, Merge: kv.Value.Merge!, Options: kv.Value.MergeOptions, Moe: (MoeConfig?)new MoeConfig
            {
                Router = kv.Value.Router!,
                TopK = kv.Value.TopK,
                NumExperts = kv.Value.Experts ?? domains.Count,
                LoadBalanceWeight = kv.Value.LoadBalanceWeight,
            })).ToList();
            if (settings.Recipe.Baselines) jobs.Add((Average, Average, null, null));
            foreach (var (name, merge, mergeOptions, moe) in jobs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Unit(Path.Combine(dir, name), unit =>
                {
                    var strategy = context.Plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, merge);
                    // A strategy that builds from the seed alone (sparse-upcycle) gets no experts: its MoE has copies of the seed's FFN.
                    var sources = strategy.TakesExperts ? experts.Select(e => new ExpertSource(e.Domain, e.Checkpoint, embeddings?.Row(e.Domain))).ToList() : [];
                    var request = new MergeRequest(seed, sources, moe ?? new MoeConfig { NumExperts = domains.Count })
                    {
                        Options = Cli.MergeSupport.Bind(context.Plugins.Catalog, strategy, mergeOptions, $"Recipe:Variants:{name}:MergeOptions"),
                    };
                    ModelCheckpoint merged;
                    try { merged = strategy.Merge(request); }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException)
                    {
                        throw new ConfigurationException($"upcycle: variant '{name}' (merge '{merge}'): {e.Message}{(embeddings is null ? " (the embed stage has not run: add it before upcycle)" : "")}", e);
                    }
                    if (merged.Config.Moe is not null)
                        (merged, _) = Cli.MergeSupport.AttachRouters(merged, context.Plugins.Catalog, settings.Run.Seed);
                    SaveCheckpoint(unit, merged, data);
                    context.Progress.Info($"upcycle: '{name}': {(merged.Config.Moe is { } m ? $"MoE of {m.NumExperts} experts, top-{m.TopK}, router '{m.Router}'" : "dense")} with '{merge}'");
                });
            }
        }
        finally
        {
            foreach (var o in opened) o.Dispose();
        }
    }

    private static MappedCheckpoint Opened(List<MappedCheckpoint> opened, MappedCheckpoint c)
    {
        opened.Add(c);
        return c;
    }
}
