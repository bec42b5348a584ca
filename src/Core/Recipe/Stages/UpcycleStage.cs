// Recipe stage "upcycle": builds every Recipe:Variants entry's MoE. An upcycled variant merges the seed and the domain
// experts with its merge strategy and router (e.g. nexus with the domain embeddings of its embedder, btx with a linear
// router); a From=scratch variant is a freshly initialised MoE of the Model section with the variant's overrides (router,
// experts, widths), which needs no seed or experts. With Recipe:Baselines, also the dense 'average' merge. It refuses to
// merge until every expert checkpoint is present and loads (so branch jobs run elsewhere must have finished).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes upcycle/&lt;variant&gt;/model for every variant (and upcycle/average).</summary>
public sealed class UpcycleStage : RecipeStage
{
    /// <summary>Name of the dense average-merge baseline.</summary>
    public const string Average = "average";

    /// <inheritdoc/>
    public override string Name => "upcycle";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        var recipe = settings.Recipe;
        if (recipe.Variants.Count == 0)
            errors.Add("Recipe:Variants: no variant to compare; name at least one, e.g. Recipe:Variants:linear:Merge=btx and Recipe:Variants:linear:Router=linear");
        foreach (var (name, v) in recipe.Variants)
        {
            if (name == Average) errors.Add($"Recipe:Variants:{name}: the name '{Average}' is taken by the average-merge baseline; choose another");
            // Empty names and other problems of the settings are reported by the section's own validation.
            if (v.IsUpcycled && !string.IsNullOrWhiteSpace(v.Merge))
            {
                try
                {
                    var strategy = plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, v.Merge);
                    MergeOptions(plugins, strategy, v.Merge, v.MergeOptions, name);
                    if (v.Experts is not null && strategy.TakesExperts)
                        errors.Add($"Recipe:Variants:{name}:Experts: merge strategy '{v.Merge}' has one expert per domain; Experts applies to strategies that build from the seed alone (sparse-upcycle)");
                }
                catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException) { errors.Add($"Recipe:Variants:{name}:Merge: {e.Message}"); }
                catch (ConfigurationException e) { errors.Add(e.Message); }
            }
        }
        VariantModels.Resolve(settings, plugins, domains: null, errors);
        CheckStages(settings, errors);
        return base.Validate(settings, plugins, errors);
    }

    // A variant's merge options bound once (the start check's binding, reused by the run); a rejected one throws each time.
    private static object? MergeOptions(IPluginProvider plugins, IMergeStrategy strategy, string merge, System.Text.Json.Nodes.JsonObject? options, string variant)
    {
        string key = $"Recipe:Variants:{variant}:MergeOptions";
        return BindingMemo.GetOrAdd(plugins, $"merge\n{merge}\n{key}\n{options?.ToJsonString()}",
            () => new System.Runtime.CompilerServices.StrongBox<object?>(MergeComposition.Bind(plugins.Catalog, strategy, options, key))).Value;
    }

    // What the profile's stages must include: the seed and branch stages exactly when something uses them (an upcycled
    // variant or the baselines). A run into a new folder must run them now; an existing run folder may already hold them.
    private static void CheckStages(ProfileSettings settings, List<string> errors)
    {
        var recipe = settings.Recipe;
        if (recipe.Variants.Count == 0) return;
        var stages = settings.Run.Stages.Select(s => s.ToLowerInvariant()).ToHashSet();
        string list = string.Join(", ", settings.Run.Stages);
        if (!recipe.NeedsSeedAndExperts)
        {
            foreach (var unused in new[] { "seed", "branch", "embed", "baselines" }.Where(stages.Contains))
                errors.Add($"Run:Stages: stage '{unused}' is not needed: every variant is From={VariantSettings.Scratch} and Recipe:Baselines is false, so nothing uses a seed, " +
                    $"domain experts or embeddings; a from-scratch profile runs upcycle, finetune, evaluate, report (stages now: {list})");
            return;
        }
        if (settings.Run.RunDirectory is not null) return;   // the folder may hold them already; the stage says so when it runs
        string why = recipe.HasUpcycledVariants
            ? $"variant(s) {string.Join(", ", recipe.Variants.Where(v => v.Value.IsUpcycled).Select(v => $"'{v.Key}'"))} are upcycled from the seed and the domain experts"
            : "the baselines (Recipe:Baselines) continue the seed and merge the domain experts";
        foreach (var needed in new[] { "seed", "branch" }.Where(s => !stages.Contains(s)))
            errors.Add($"Run:Stages: stage 'upcycle' needs stage '{needed}' in a new run folder: {why}; add '{needed}' before 'upcycle' (stages now: {list}), " +
                "or pass --run-dir with a run folder where it is complete");
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken);
        var domains = data.Train.Domains;
        var errors = new List<string>();
        var variants = VariantModels.Resolve(settings, context.Plugins, domains.Count, errors);
        if (errors.Count > 0) throw new ConfigurationException($"upcycle: {string.Join("; ", errors)}");

        // The seed and the experts, opened only when an upcycled variant or the average baseline needs them.
        var opened = new List<MappedCheckpoint>();
        MappedCheckpoint Opened(MappedCheckpoint c)
        {
            opened.Add(c);
            return c;
        }
        ModelCheckpoint? seed = null;
        List<(string Domain, ModelCheckpoint Checkpoint)>? experts = null;
        void LoadInputs()
        {
            if (seed is not null) return;
            string seedDir = Path.Combine(Input(context, "seed"), "dense");
            string branch = Input(context, "branch");
            var missing = domains.Where(d => !Directory.Exists(Path.Combine(branch, d, ModelFolder))).ToList();
            if (missing.Count > 0)
                throw new ConfigurationException($"upcycle: no expert checkpoint for domain(s) {string.Join(", ", missing)} in {branch}; run the branch stage for them first");
            // Memory-mapped: merges read one input tensor at a time and the result is written tensor by tensor.
            seed = Opened(MappedCheckpoint.Open(Path.Combine(seedDir, ModelFolder))).Checkpoint;
            experts = [.. domains.Select(d =>
            {
                try { return (Domain: d, Checkpoint: Opened(MappedCheckpoint.Open(Path.Combine(branch, d, ModelFolder))).Checkpoint); }
                catch (CheckpointFormatException e) { throw new ConfigurationException($"upcycle: expert '{d}' in {Path.Combine(branch, d, ModelFolder)} cannot be read: {e.Message}; rerun it with --restart branch", e); }
            })];
        }

        var jobs = variants.Select(v => (v.Name, Merge: v.Settings.Merge, Variant: (VariantModel?)v)).ToList();
        if (settings.Recipe.Baselines) jobs.Add((Average, Average, null));
        try
        {
            foreach (var (name, merge, variant) in jobs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Unit(Path.Combine(dir, name), unit =>
                {
                    if (variant is { IsUpcycled: false })
                    {
                        var model = new TransformerLM(variant.Plan, context.Plugins.Catalog, new Generator(settings.Run.Seed));
                        SaveModel(unit, model, data);
                        var counts = model.CountParameters();
                        context.Progress.Info(FormattableString.Invariant(
                            $"upcycle: '{name}': from scratch, MoE of {variant.Moe.NumExperts} experts, top-{variant.Moe.TopK}, router '{variant.Moe.Router}'; {counts.Total:N0} parameters ({counts.ActiveTraining:N0} active)"));
                        return;
                    }
                    LoadInputs();
                    EmbeddingFile? embeddings = variant?.Embedder is { } embedder && context.Run.IsComplete("embed")
                        ? EmbedStage.Load(Path.Combine(context.Run.Path, "embed"), embedder, settings.Recipe.Embedder)
                        : null;
                    var strategy = context.Plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, merge!);
                    // A strategy that builds from the seed alone (sparse-upcycle) gets no experts: its MoE has copies of the seed's FFN.
                    var sources = strategy.TakesExperts ? experts!.Select(e => new ExpertSource(e.Domain, e.Checkpoint, embeddings?.Row(e.Domain))).ToList() : [];
                    var request = new MergeRequest(seed!, sources, variant?.Moe ?? new MoeConfig { NumExperts = domains.Count })
                    {
                        Options = MergeOptions(context.Plugins, strategy, merge!, variant?.Settings.MergeOptions, name),
                    };
                    ModelCheckpoint merged;
                    try { merged = strategy.Merge(request); }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException)
                    {
                        throw new ConfigurationException($"upcycle: variant '{name}' (merge '{merge}'): {e.Message}{(embeddings is null && variant is not null ? " (the embed stage has not run: add it before upcycle)" : "")}", e);
                    }
                    if (merged.Config.Moe is not null)
                        (merged, _) = MergeComposition.AttachRouters(merged, context.Plugins.Catalog, settings.Run.Seed, variant?.Plan.RouterOptions);
                    SaveCheckpoint(unit, merged, data);
                    context.Progress.Info($"upcycle: '{name}': {(merged.Config.Moe is { } m ? $"MoE of {m.NumExperts} experts, top-{m.TopK}, router '{m.Router}'" : "dense")} with '{merge}'" +
                        (embeddings is not null && variant is not null ? $" and '{variant.Embedder}' domain embeddings" : ""));
                });
            }
        }
        finally
        {
            foreach (var o in opened) o.Dispose();
        }
    }
}
