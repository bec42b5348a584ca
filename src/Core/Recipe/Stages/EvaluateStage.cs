// Recipe stage "evaluate": per-domain validation perplexity of every model of the run (the seed, the finetuned
// variants, the baselines), per-domain test perplexity (the third part of the split, Data:TestFraction), routing
// share per domain per layer, parameter counts and evaluation tokens/s; written to evaluate/results.json (with the
// embedding cosine matrix when the embed stage ran). Each model's measurements are kept in evaluate/models/<name>.json
// as soon as they are taken, so an interrupted stage measures only the models it had not reached.
using System.Text.Json;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Composition;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Evaluates every model of the recipe into evaluate/results.json.</summary>
public sealed class EvaluateStage : RecipeStage
{
    /// <summary>Folder in the stage's folder with each evaluated model's measurements.</summary>
    public const string ModelsFolder = "models";

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
        var results = new RecipeResults
        {
            Domains = [.. data.Validation.Domains],
            TestDomains = data.Test is null ? [] : [.. data.Test.Domains],
            Reference = settings.Recipe.Reference(),
        };
        if (data.Test is null) context.Progress.Info("evaluate: no test windows (Data:TestFraction is 0, or too few documents): test perplexity is not measured");
        string measured = Path.Combine(dir, ModelsFolder);
        foreach (var (name, kind, unit) in models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string file = Path.Combine(measured, name + ".json");
            if (File.Exists(file) && JsonSerializer.Deserialize<ModelResult>(File.ReadAllText(file)) is { } done)
            {
                results.Models.Add(done);
                context.Progress.Info($"evaluate: {name}: already measured");
                continue;
            }
            // The finetune and baselines stages' trainers evaluated their models after the last step (Training:EvalEvery above 0): the same model on the same windows.
            var final = FinalEvaluation.Find(unit, data.Validation, settings.Training.EvalBatchSize, name, kind);
            if (final is not null) context.Progress.Info($"evaluate: {name}: validation as evaluated after its last training step ({final.Step}), not evaluated again");
            var result = RecipeResults.Measure(name, kind, LoadModel(context, unit), data.Validation, data.Test, settings.Training.EvalBatchSize, cancellationToken, final?.Result);
            AtomicFile.WriteAllText(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            results.Models.Add(result);
            context.Progress.Info(FormattableString.Invariant($"evaluate: {name}: mean perplexity {result.MeanPerplexity:F3}") +
                (data.Test is null ? "" : FormattableString.Invariant($" (test {result.MeanTestPerplexity:F3})")));
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
