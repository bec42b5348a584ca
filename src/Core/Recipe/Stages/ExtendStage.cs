// Recipe stage "extend" (Nexus, arXiv 2408.15901, "Extending with a new expert"): a dense expert for the new domain
// (Recipe:Extend:Domain, held out of every earlier stage) branched from the seed; its domain embedding from the
// configured embedder (every domain re-embedded in one request, so the new row is made like the others); the expert
// appended to every finetuned variant through the extend merge strategy and Core's ModelExtension (nexus: a new
// domain embedding, no new router parameters; linear: reset or expand, per the router's ExtendMode); then each
// extended variant finetuned separately for each budget on NewShare new-domain / rest old-domain data and evaluated
// on every domain, on the validation and the test split (RecipeResults.Measure, like the evaluate stage). Every unit is written complete or not at all; a rerun continues with the first missing one.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Data;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>
/// Writes extend/expert/&lt;domain&gt;, extend/embeddings.json, extend/reference/{seed,expert}, and per extension
/// extend/&lt;name&gt;/extended (the n+1-expert model) and extend/&lt;name&gt;/budget-&lt;B&gt; (finetuned model, loss, eval.json);
/// then extend/extension.json with every measurement.
/// </summary>
public sealed class ExtendStage : RecipeStage
{
    /// <summary>Folder of the new dense expert.</summary>
    public const string ExpertFolder = "expert";

    /// <summary>Folder of the reference evaluations (seed, new expert).</summary>
    public const string ReferenceFolder = "reference";

    /// <summary>A unit's evaluation (a <see cref="ModelResult"/>).</summary>
    public const string EvalFile = "eval.json";

    /// <summary>An extension's structure before and after (an <see cref="ExtensionInfo"/>).</summary>
    public const string InfoFile = "info.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <inheritdoc/>
    public override string Name => "extend";

    /// <inheritdoc/>
    protected override bool UsesExtension => true;

    /// <summary>The unit folder (inside an extension's folder) of the model after <paramref name="budget"/> finetuning steps.</summary>
    public static string BudgetFolder(long budget) => $"budget-{budget}";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        var recipe = settings.Recipe;
        if (recipe.Extend is not { } x)
        {
            errors.Add("Recipe:Extend: the extend stage needs this section: at least Recipe:Extend:Domain, a domain of the data that the stages before extend hold out " +
                "(e.g. \"Extend\": { \"Domain\": \"perl\", \"Budgets\": [0, 50, 150] } with perl listed under Data:LoaderOptions:Domains); or remove 'extend' from Run:Stages");
            return base.Validate(settings, plugins, errors);
        }
        try { plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, x.Merge); }
        catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException) { errors.Add($"Recipe:Extend:Merge: {e.Message}"); }
        try { plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, recipe.Embedder); }
        catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException) { errors.Add($"Recipe:Embedder: {e.Message}"); }
        foreach (var (name, from, options) in x.Extensions(recipe.Variants.Keys))
        {
            if (name is ExpertFolder or ReferenceFolder || name.EndsWith(".partial", StringComparison.Ordinal))
                errors.Add($"Recipe:Extend:Variants:{name}: the name '{name}' is taken by the extend stage's own folders; choose another");
            if (options is not null && recipe.Variants.TryGetValue(from, out var v) && !string.IsNullOrWhiteSpace(v.Router))
            {
                try { MergeComposition.CheckRouter(plugins.Catalog, v.Router, options); }
                catch (ConfigurationException e) { errors.Add($"Recipe:Extend:Variants:{name}:RouterOptions: {e.Message}"); }
            }
        }
        return base.Validate(settings, plugins, errors);
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var x = settings.Recipe.Extend ?? throw new ConfigurationException("Recipe:Extend: the extend stage needs this section (at least Recipe:Extend:Domain)");
        string domain = x.Domain!;
        string seedDir = Path.Combine(Input(context, "seed"), "dense");
        string finetuned = Input(context, "finetune");
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken, includeNewDomain: true);
        if (data.Validation is null || !data.Validation.Domains.Contains(domain))
            throw new ConfigurationException($"extend: no validation text for the new domain '{domain}'; set Data:ValidationFraction above 0 and give '{domain}' enough text for a window of Training:SequenceLength tokens");
        var old = data.Train.Domains.Where(d => d != domain).ToList();

        // 1. The new dense expert, branched from the seed on the new domain.
        string expertUnit = Path.Combine(dir, ExpertFolder, domain);
        Directory.CreateDirectory(Path.GetDirectoryName(expertUnit)!);
        long branchSteps = x.BranchSteps ?? settings.Recipe.BranchSteps;
        Unit(expertUnit, unit =>
        {
            var model = LoadModel(context, seedDir);
            Train(context, $"new expert '{domain}'", model, OneDomain(data.Train, domain), branchSteps, unit, cancellationToken);
            SaveModel(unit, model, data);
        });

        // 2. Domain embeddings of all n + 1 domains in one request of the configured embedder.
        var embeddings = Embeddings(context, data, Path.Combine(dir, EmbedStage.FileName));

        // 3. Reference points: the seed (never saw the new domain) and the new dense expert, on every domain.
        Evaluate(context, data, Path.Combine(dir, ReferenceFolder, "seed"), "seed", "seed", seedDir, cancellationToken);
        Evaluate(context, data, Path.Combine(dir, ReferenceFolder, ExpertFolder), $"{domain} expert (dense)", "expert", expertUnit, cancellationToken);

        // 4. Every extension: the extended model, then one finetuning per budget.
        var expert = CheckpointStore.Load(Path.Combine(expertUnit, ModelFolder));
        var extensions = x.Extensions(settings.Recipe.Variants.Keys);
        var weights = x.MixtureWeights(old.ToDictionary(d => d, d => (double)data.Train[d].Length, StringComparer.Ordinal));
        foreach (var (name, from, routerOptions) in extensions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string source = Path.Combine(finetuned, from);
            if (!Directory.Exists(Path.Combine(source, ModelFolder)))
                throw new ConfigurationException($"extend: extension '{name}' starts from the finetuned variant '{from}', which is not in {finetuned}; run the finetune stage for it first");
            string extended = Path.Combine(dir, name, "extended");
            Directory.CreateDirectory(Path.Combine(dir, name));
            Unit(extended, unit => Extend(context, data, name, from, source, routerOptions, expert, embeddings.Row(domain), unit));
            foreach (long budget in x.Budgets.Order())
            {
                cancellationToken.ThrowIfCancellationRequested();
                Unit(Path.Combine(dir, name, BudgetFolder(budget)), unit =>
                {
                    var model = LoadModel(context, extended);
                    if (budget > 0)
                    {
                        Train(context, $"'{name}' extended, {budget} steps on {x.NewShare:P0} '{domain}'", model, data.Train, budget, unit, cancellationToken, weights, variant: from);
                        SaveModel(unit, model, data);
                    }
                    WriteEval(context, data, model, name, unit, cancellationToken);
                });
            }
        }

        // 5. Everything measured, for the evaluate and report stages.
        var results = new ExtensionResults
        {
            Domain = domain,
            OldDomains = old,
            Budgets = [.. x.Budgets.Order()],
            NewShare = x.NewShare,
            Reference = ReferenceExtension(settings.Recipe, extensions),
            References = [ReadEval(Path.Combine(dir, ReferenceFolder, "seed")), ReadEval(Path.Combine(dir, ReferenceFolder, ExpertFolder))],
        };
        foreach (var (name, _, _) in extensions)
        {
            results.Extensions.Add(JsonSerializer.Deserialize<ExtensionInfo>(File.ReadAllText(Path.Combine(dir, name, "extended", InfoFile)))!);
            foreach (long budget in results.Budgets)
                results.Points.Add(new ExtensionPoint { Extension = name, Budget = budget, Result = ReadEval(Path.Combine(dir, name, BudgetFolder(budget))) });
        }
        // Test figures are reported when every measurement has them (units measured before the test split have none).
        var all = results.References.Concat(results.Points.Select(p => p.Result)).ToList();
        results.TestDomains = data.Test is null ? [] : all.All(m => m.TestPerplexity.Count > 0) ? [.. data.Test.Domains] : null;
        if (results.TestDomains is null)
            context.Progress.Info("extend: some units were measured before the extension reported the test split; the report shows validation only (--restart extend measures both)");
        results.Save(dir);
    }

    // The extension that relative numbers divide by: the one named as the recipe's reference variant, else the first built from it.
    private static string? ReferenceExtension(RecipeSettings recipe, IReadOnlyList<(string Name, string From, JsonObject? RouterOptions)> extensions)
    {
        if (recipe.Extend?.Reference is { } configured) return configured;
        string? reference = recipe.Reference();
        return extensions.FirstOrDefault(e => e.Name == reference).Name ?? extensions.FirstOrDefault(e => e.From == reference).Name;
    }

    private void Extend(StageContext context, TrainingData data, string name, string from, string source, JsonObject? routerOptions,
        Abstractions.Checkpoints.ModelCheckpoint expert, Tensor embedding, string unit)
    {
        var settings = context.Settings;
        var x = settings.Recipe.Extend!;
        var checkpoint = CheckpointStore.Load(Path.Combine(source, ModelFolder));
        var moe = checkpoint.Config.Moe ?? throw new ConfigurationException($"extend: variant '{from}' is a dense model; extension appends an expert to an MoE");
        if (routerOptions is not null)
        {
            var merged = (JsonObject?)moe.RouterOptions?.DeepClone() ?? [];
            foreach (var (key, value) in routerOptions) merged[key] = value?.DeepClone();
            checkpoint = checkpoint with { Config = checkpoint.Config with { Moe = moe with { RouterOptions = merged } } };
        }
        var before = TransformerLM.FromCheckpoint(checkpoint, context.Plugins.Catalog);
        var strategy = context.Plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, x.Merge);
        var options = MergeComposition.Bind(context.Plugins.Catalog, strategy, x.Lambda is { } l ? new JsonObject { ["Lambda"] = l } : null, "Recipe:Extend");
        TransformerLM after;
        try
        {
            after = ModelExtension.Extend(before, strategy, new ExpertSource(x.Domain!, expert, before.DomainEmbeddings is null ? null : embedding),
                context.Plugins.Catalog, new Generator(settings.Run.Seed), options);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidDataException or KeyNotFoundException)
        {
            throw new ConfigurationException($"extend: extension '{name}' of variant '{from}' (merge '{x.Merge}'): {e.Message}", e);
        }
        SaveModel(unit, after, data);
        static long Routers(TransformerLM m) => m.MoeLayers.Sum(l => l.Block.Router.num_parameters());
        var info = new ExtensionInfo
        {
            Name = name,
            From = from,
            Router = moe.Router,
            RouterOptions = routerOptions?.ToJsonString(),
            Lambda = x.Lambda ?? 1.0 / (moe.NumExperts + 1),
            ExpertsBefore = moe.NumExperts,
            ExpertsAfter = after.Config.Moe!.NumExperts,
            RouterParametersBefore = Routers(before),
            RouterParametersAfter = Routers(after),
            TotalParametersBefore = before.num_parameters(),
            TotalParametersAfter = after.num_parameters(),
        };
        File.WriteAllText(Path.Combine(unit, InfoFile), JsonSerializer.Serialize(info, Indented));
        context.Progress.Info($"extend: '{name}': {info.ExpertsBefore} -> {info.ExpertsAfter} experts (router '{info.Router}', router parameters {info.RouterParametersBefore:N0} -> {info.RouterParametersAfter:N0})");
    }

    // Every domain embedded in one request (the embed stage's embedder and options), saved once as extend/embeddings.json.
    private static EmbeddingFile Embeddings(StageContext context, TrainingData data, string file)
    {
        if (File.Exists(file)) return JsonSerializer.Deserialize<EmbeddingFile>(File.ReadAllText(file)) ?? throw new InvalidDataException($"{file} is empty");
        string name = context.Settings.Recipe.Embedder;
        var embedder = context.Plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, name);
        var domains = data.Train.Domains.ToDictionary(d => d, d => (IReadOnlyList<Document>)data.TrainDocuments.Where(x => x.Domain == d).ToList(), StringComparer.Ordinal);
        var set = DomainEmbeddings.Embed(embedder, name, new DomainEmbeddingRequest(domains)
        {
            Options = MergeComposition.Bind(context.Plugins.Catalog, embedder, null, "Recipe:Embedder"),
            Tokenizer = data.Tokenizer,
        }, cacheDirectory: null);
        int dim = (int)set.Embeddings.size(1);
        var saved = new EmbeddingFile([.. set.Domains], dim, set.Embeddings.to(ScalarType.Float32).contiguous().data<float>().ToArray(),
            [.. Enumerable.Range(0, set.Domains.Count).Select(i => Enumerable.Range(0, set.Domains.Count).Select(j => set.Cosine[i, j]).ToArray())]);
        // How far the old domains' rows moved from the embed stage's (IDF-style embedders see one more domain now).
        if (context.Run.IsComplete("embed"))
        {
            var first = EmbedStage.Load(Path.Combine(context.Run.Path, "embed"));
            var drift = first.Domains.Where(saved.Domains.Contains).Select(d => Cosine(first.Row(d), saved.Row(d))).DefaultIfEmpty(1).Min();
            context.Progress.Info(FormattableString.Invariant($"extend: {saved.Domains.Length} domains embedded with '{name}'; old domains' rows vs the embed stage's: smallest cosine {drift:F4}"));
        }
        AtomicFile.WriteAllText(file, JsonSerializer.Serialize(saved));
        return saved;
    }

    private static double Cosine(Tensor a, Tensor b)
    {
        var u = a.to(ScalarType.Float64).data<double>().ToArray();
        var v = b.to(ScalarType.Float64).data<double>().ToArray();
        double dot = u.Zip(v).Sum(p => p.First * p.Second), nu = Math.Sqrt(u.Sum(z => z * z)), nv = Math.Sqrt(v.Sum(z => z * z));
        return nu > 0 && nv > 0 ? dot / (nu * nv) : 0;
    }

    // Evaluates the model in <source>/model into the unit <target>/eval.json.
    private void Evaluate(StageContext context, TrainingData data, string target, string name, string kind, string source, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Unit(target, unit => WriteEval(context, data, LoadModel(context, source), name, unit, cancellationToken, kind));
    }

    // Measures the model on every domain, validation and test split (RecipeResults.Measure, as the evaluate stage does), into <unit>/eval.json.
    private static void WriteEval(StageContext context, TrainingData data, TransformerLM model, string name, string unit, CancellationToken cancellationToken, string kind = "extension")
    {
        var result = RecipeResults.Measure(name, kind, model, data.Validation!, data.Test, context.Settings.Training.EvalBatchSize, cancellationToken);
        File.WriteAllText(Path.Combine(unit, EvalFile), JsonSerializer.Serialize(result, Indented));
        string domain = context.Settings.Recipe.Extend!.Domain!;
        context.Progress.Info(FormattableString.Invariant($"extend: {name} ({Path.GetFileName(unit)}): perplexity on '{domain}' {result.Perplexity[domain]:F3}, mean {result.MeanPerplexity:F3}") +
            (result.TestPerplexity.TryGetValue(domain, out var t) ? FormattableString.Invariant($"; test: '{domain}' {t:F3}, mean {result.MeanTestPerplexity:F3}") : ""));
    }

    private static ModelResult ReadEval(string unit) =>
        JsonSerializer.Deserialize<ModelResult>(File.ReadAllText(Path.Combine(unit, EvalFile))) ?? throw new InvalidDataException($"{Path.Combine(unit, EvalFile)} is empty");
}
