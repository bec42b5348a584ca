// Recipe stage "evaluate": per-domain validation perplexity of every model of the run (the seed, the finetuned
// variants, the baselines), routing share per domain per layer, parameter counts and evaluation tokens/s;
// written to evaluate/results.json (with the embedding cosine matrix when the embed stage ran).
using System.Diagnostics;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Evaluates every model of the recipe into evaluate/results.json.</summary>
public sealed class EvaluateStage : RecipeStage
{
    /// <inheritdoc/>
    public override string Name => "evaluate";

    /// <inheritdoc/>
    protected override bool UsesExtension => true;

    /// <inheritdoc/>
    public override ResumeVerdict OnResume(SettingChange change) =>
        IsExtensionChange(change) ? new ResumeVerdict(true, "evaluate copies the extend stage's results", Reopens: true) : base.OnResume(change);

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        string dir = context.Run.Stage(Name);
        // The extend stage measured its models on every domain itself (evaluate sees only the initial mixture's domains).
        var extension = settings.Recipe.Extend is not null && context.Run.IsComplete("extend") ? ExtensionResults.Load(Path.Combine(context.Run.Path, "extend")) : null;
        if (extension is not null) extension.Save(dir);
        else File.Delete(Path.Combine(dir, ExtensionResults.FileName));
        if (File.Exists(Path.Combine(dir, RecipeResults.FileName))) return;
        var data = LoadData(context, cancellationToken);
        if (data.Validation is null)
            throw new ConfigurationException("evaluate: no validation data; set Data:ValidationFraction above 0");
        var models = new List<(string Name, string Kind, string Unit)>();
        // The seed, when the recipe has one (a profile of from-scratch variants has none).
        if (settings.Recipe.NeedsSeedAndExperts || context.Run.IsComplete("seed"))
            models.Add(("seed", "seed", Path.Combine(Input(context, "seed"), "dense")));
        string finetuned = Input(context, "finetune");
        foreach (var v in settings.Recipe.Variants.Keys) models.Add((v, "variant", Path.Combine(finetuned, v)));
        if (settings.Recipe.Baselines)
        {
            models.Add((UpcycleStage.Average, "baseline", Path.Combine(finetuned, UpcycleStage.Average)));
            models.Add((BaselinesStage.DenseContinued, "baseline", Path.Combine(Input(context, "baselines"), BaselinesStage.DenseContinued)));
        }
        var results = new RecipeResults { Domains = [.. data.Validation.Domains], Reference = settings.Recipe.Reference() };
        foreach (var (name, kind, unit) in models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var model = LoadModel(context, unit);
            var clock = Stopwatch.StartNew();
            var evaluation = Evaluator.Evaluate(model, data.Validation, settings.Training.EvalBatchSize, cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            long tokens = evaluation.Domains.Sum(d => d.Tokens);
            results.Models.Add(RecipeResults.From(name, kind, evaluation, tokens / Math.Max(seconds, 1e-9)));
            context.Progress.Info(FormattableString.Invariant($"evaluate: {name}: mean perplexity {results.Models[^1].MeanPerplexity:F3}"));
        }
        if (context.Run.IsComplete("embed"))
        {
            var e = EmbedStage.Load(Path.Combine(context.Run.Path, "embed"));
            results.EmbeddingDomains = [.. e.Domains];
            results.EmbeddingCosine = [.. e.Cosine];
        }
        string temp = Path.Combine(dir, RecipeResults.FileName + ".partial");
        Directory.CreateDirectory(temp);
        results.Save(temp);
        File.Move(Path.Combine(temp, RecipeResults.FileName), Path.Combine(dir, RecipeResults.FileName));
        Directory.Delete(temp);
    }
}
