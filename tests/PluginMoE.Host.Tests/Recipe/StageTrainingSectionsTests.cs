// Per-stage and per-variant Training sections through the host: Extends and null removal, what `pluginmoe config`
// shows, every error with the profile key, the quickstart profile's settings unchanged, a recipe run where only the
// stage with a section changes, resume refusal when a section changes (train and recipe stages), and the evaluate
// stage reusing the trainer's final evaluation with identical results.
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class StageTrainingSectionsTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Dir(params string[] parts) => Path.Combine([_cli.WorkingDirectory, .. parts]);

    private HostSettings Load(string? profile, params string[] overrides) => HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
    {
        Profile = profile,
        HostDirectory = AppContext.BaseDirectory,
        WorkingDirectory = _cli.WorkingDirectory,
        Overrides = overrides,
    }));

    private void WriteChildProfiles()
    {
        TinyRecipe.Write(_cli);
        _cli.Write("profiles/child.json", """
            {
              "Extends": "recipe.json",
              "Recipe": {
                "Stages": { "finetune": { "Training": { "LearningRate": 0.002, "WarmupSteps": 0 } }, "seed": { "Training": { "BatchSize": 4 } } },
                "Variants": { "nexus": { "Training": { "LearningRate": 0.001 } } }
              }
            }
            """);
        _cli.Write("profiles/grandchild.json", """
            {
              "Extends": "child.json",
              "Recipe": { "Stages": { "finetune": { "Training": { "WarmupSteps": null } } }, "Variants": { "nexus": { "Training": null } } }
            }
            """);
    }

    [Fact]
    public void Sections_InheritThroughExtends_AndNullRemovesThem()
    {
        WriteChildProfiles();
        var child = Load("profiles/child.json").Profile;
        Assert.Equal(0.01, child.Training.LearningRate);
        Assert.Equal(child.Training with { BatchSize = 4 }, StageTraining.For(child, "seed"));
        Assert.Equal(child.Training with { LearningRate = 0.002, WarmupSteps = 0 }, StageTraining.For(child, "finetune", "linear"));
        Assert.Equal(child.Training with { LearningRate = 0.001, WarmupSteps = 0 }, StageTraining.For(child, "finetune", "nexus"));
        Assert.Equal(child.Training, StageTraining.For(child, "branch"));

        var grandchild = Load("profiles/grandchild.json").Profile;
        Assert.Null(grandchild.Recipe.Variants["nexus"].Training);
        Assert.Equal("nexus", grandchild.Recipe.Variants["nexus"].Merge);
        Assert.Equal(grandchild.Training with { LearningRate = 0.002 }, StageTraining.For(grandchild, "finetune", "nexus"));   // WarmupSteps back to Training's 1
        Assert.Equal(grandchild.Training with { BatchSize = 4 }, StageTraining.For(grandchild, "seed"));
    }

    [Fact]
    public void Config_ShowsWhatEachTrainingStageAndVariantTrainsWith()
    {
        WriteChildProfiles();
        var (code, output, error) = _cli.Run("config", "--profile", "profiles/child.json");
        Assert.True(code == 0, error);
        string[] expected =
        [
            "training (seed): BatchSize=4 (Recipe:Stages:seed:Training:BatchSize); every other key from Training",
            "training (branch): the Training section",
            "training (finetune): LearningRate=0.002 (Recipe:Stages:finetune:Training:LearningRate), WarmupSteps=0 (Recipe:Stages:finetune:Training:WarmupSteps); every other key from Training",
            "training (finetune, variant nexus): LearningRate=0.001 (Recipe:Variants:nexus:Training:LearningRate), WarmupSteps=0 (Recipe:Stages:finetune:Training:WarmupSteps); every other key from Training",
            "training (baselines): the Training section",
        ];
        Assert.Equal(expected, error.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("training (", StringComparison.Ordinal)));
        var json = JsonNode.Parse(output)!;
        Assert.Equal(0.002, json["Recipe"]!["Stages"]!["finetune"]!["Training"]!["LearningRate"]!.GetValue<double>());
        Assert.Equal(0.001, json["Recipe"]!["Variants"]!["nexus"]!["Training"]!["LearningRate"]!.GetValue<double>());
        Assert.Null(json["Recipe"]!["Variants"]!["linear"]!["Training"]);
    }

    [Theory]
    [InlineData("--Recipe:Stages:finetune:Training:LearningRate=20", "Recipe:Stages:finetune:Training:LearningRate: value 20 is not allowed: allowed values are 1E-08 to 10")]
    [InlineData("--Recipe:Variants:nexus:Training:WarmupFraction=2", "Recipe:Variants:nexus:Training:WarmupFraction: value 2 is not allowed: allowed values are 0 to 1")]
    [InlineData("--Recipe:Stages:seed:Training:Steps=9", "Recipe:Stages:seed:Training:Steps: not allowed here: a stage's steps are its budget: set Recipe:SeedSteps")]
    [InlineData("--Recipe:Stages:report:Training:LearningRate=0.1", "Recipe:Stages:report: the report stage does not train; a Training section is accepted for the stages that train: train, seed, branch, finetune, extend, baselines")]
    [InlineData("--Recipe:Stages:seed:Trainin:LearningRate=0.1", "Recipe:Stages:seed:Trainin: unknown setting; Recipe:Stages:seed accepts Training; did you mean 'Training'?")]
    [InlineData("--Recipe:Variants:nexsu:Training:LearningRate=0.1", "Recipe:Variants:nexsu:Training: value {\"LearningRate\":\"0.1\"} is not allowed: a Training section for a variant the profile does not define (it sets nothing else); the variants are linear, nexus; did you mean 'nexus'?")]
    public void Errors_NameTheProfileAndTheKey(string setting, string message)
    {
        TinyRecipe.Write(_cli);
        var (code, _, error) = _cli.Run("config", "--profile", "profiles/recipe.json", setting);
        Assert.NotEqual(0, code);
        Assert.Contains("profile 'recipe'", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Quickstart_ResolvesAndRecordsExactlyAsBeforeTheSections()
    {
        string profile = Path.Combine(AppContext.BaseDirectory, "profiles", "quickstart.json");
        var settings = Load(profile);
        var resolved = settings.ToResolvedJson();
        // Recorded from `pluginmoe config --profile profiles/quickstart.json` of the build before per-stage sections.
        string before = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "quickstart-config.json")).Replace("\"PROFILE\"", JsonValue.Create(profile)!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(JsonNode.Parse(before)!.ToJsonString(), resolved.ToJsonString());
        foreach (IStage stage in new RecipeStage[] { new SeedStage(), new BranchStage(), new FinetuneStage(), new BaselinesStage(), new EvaluateStage() })
            Assert.Equal(StageSettings.From(resolved, stage.DefiningSettings).Values, stage.Fingerprint(resolved).Values);
        Assert.All(StageTraining.Describe(settings.Profile), l => Assert.EndsWith("): the Training section", l, StringComparison.Ordinal));
    }

    private static byte[] Weights(string unit) => File.ReadAllBytes(Path.Combine(unit, "model", "model.safetensors"));

    [Fact]
    public void Recipe_TrainsOnlyTheStageWithASectionDifferently_RecordsIt_AndRefusesAChangedSectionOnResume()
    {
        TinyRecipe.Write(_cli);
        var plain = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "plain", "--stages", "seed,branch,embed,upcycle,finetune");
        Assert.True(plain.Code == 0, plain.Error);
        string[] sections = ["--Recipe:Stages:finetune:Training:LearningRate=0.002", "--Recipe:Variants:nexus:Training:LearningRate=0.0005"];
        var run = _cli.Run(["run", "--profile", "profiles/recipe.json", "--run-dir", "sections", "--stages", "seed,branch,embed,upcycle,finetune", .. sections]);
        Assert.True(run.Code == 0, run.Error);

        Assert.Equal(Weights(Dir("plain", "seed", "dense")), Weights(Dir("sections", "seed", "dense")));
        Assert.Equal(Weights(Dir("plain", "branch", "code")), Weights(Dir("sections", "branch", "code")));
        Assert.Equal(Weights(Dir("plain", "upcycle", "nexus")), Weights(Dir("sections", "upcycle", "nexus")));
        foreach (var model in new[] { "nexus", "linear", "average" })
            Assert.NotEqual(Weights(Dir("plain", "finetune", model)), Weights(Dir("sections", "finetune", model)));
        // Without EvalEvery the trainers do not evaluate, so nothing is kept for evaluate to reuse.
        Assert.False(File.Exists(Dir("plain", "finetune", "nexus", FinalEvaluation.FileName)));

        // Each stage records the Training it trained with; the sections are recorded under Recipe as well.
        Assert.Equal("0.01", StageSettings.Read(Dir("sections", "seed"))!.Values["Training:LearningRate"]);
        var finetune = StageSettings.Read(Dir("sections", "finetune"))!.Values;
        Assert.Equal("0.002", finetune["Training:LearningRate"]);
        Assert.Equal("0.0005", finetune["Recipe:Variants:nexus:Training:LearningRate"]);

        var changed = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "sections", "--stages", "finetune",
            "--Recipe:Stages:finetune:Training:LearningRate=0.003", "--Recipe:Variants:nexus:Training:LearningRate=0.0005");
        Assert.NotEqual(0, changed.Code);
        Assert.Contains("stage 'finetune' in ", changed.Error, StringComparison.Ordinal);
        Assert.Contains("Training:LearningRate: stored 0.002, now 0.003 (it shapes the recipe's models; start a new run folder or --restart the stage)", changed.Error, StringComparison.Ordinal);
        Assert.Contains("Recipe:Stages:finetune:Training:LearningRate: stored 0.002, now 0.003", changed.Error, StringComparison.Ordinal);

        var variant = _cli.Run(["run", "--profile", "profiles/recipe.json", "--run-dir", "sections", "--stages", "finetune", sections[0]]);
        Assert.NotEqual(0, variant.Code);
        Assert.Contains("Recipe:Variants:nexus:Training:LearningRate: stored 0.0005, now (not set)", variant.Error, StringComparison.Ordinal);

        var same = _cli.Run(["run", "--profile", "profiles/recipe.json", "--run-dir", "sections", "--stages", "finetune", .. sections]);
        Assert.True(same.Code == 0, same.Error);
    }

    [Fact]
    public void SectionWarmup_LongerThanTheStagesBudget_IsClampedWithANoticeNamingTheSectionsKey()
    {
        TinyProfile.Write(_cli);
        var train = _cli.Run("run", "--profile", "tiny", "--run-dir", "w", "--Recipe:Stages:train:Training:WarmupSteps=9");
        Assert.True(train.Code == 0, train.Error);
        string log = train.Out + train.Error;
        Assert.Contains("notice: Recipe:Stages:train:Training:WarmupSteps (9) is longer than the train stage's budget of 4 steps (Training:Steps); " +
            "warming up over all 4 steps instead (set Recipe:Stages:train:Training:WarmupFraction, e.g. 0.1, to warm up over a share of the budget)", log, StringComparison.Ordinal);

        TinyRecipe.Write(_cli);
        var seed = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "s", "--stages", "seed,branch", "--Recipe:Stages:branch:Training:WarmupSteps=50");
        Assert.True(seed.Code == 0, seed.Error);
        log = seed.Out + seed.Error;
        string notice = "notice: Recipe:Stages:branch:Training:WarmupSteps (50) is longer than the branch stage's budget of ";
        Assert.Contains(notice, log, StringComparison.Ordinal);
        Assert.Contains("(Recipe:BranchSteps); warming up over all ", log, StringComparison.Ordinal);
        Assert.Equal(1, log.Split(notice).Length - 1);   // once, not once per expert
        Assert.DoesNotContain("seed:Training:WarmupSteps", log, StringComparison.Ordinal);
    }

    [Fact]
    public void VariantFinetuneSteps_TrainsThatVariantForItsOwnBudget_RecordsAndShowsIt_AndIsValidated()
    {
        TinyRecipe.Write(_cli);
        string[] stages = ["--stages", "seed,branch,embed,upcycle,finetune"];
        var run = _cli.Run(["run", "--profile", "profiles/recipe.json", "--run-dir", "b", .. stages, "--Recipe:Variants:nexus:FinetuneSteps=5"]);
        Assert.True(run.Code == 0, run.Error);
        // nexus for its own 5 steps; linear and the average baseline for Recipe:FinetuneSteps (3).
        Assert.Equal([1L, 2, 3, 4, 5], LossCurve.Load(Dir("b", "finetune", "nexus"))!.Points.Select(p => p.Step));
        Assert.Equal([1L, 2, 3], LossCurve.Load(Dir("b", "finetune", "linear"))!.Points.Select(p => p.Step));
        Assert.Equal([1L, 2, 3], LossCurve.Load(Dir("b", "finetune", "average"))!.Points.Select(p => p.Step));
        Assert.Equal("5", StageSettings.Read(Dir("b", "finetune"))!.Values["Recipe:Variants:nexus:FinetuneSteps"]);
        Assert.DoesNotContain("Recipe:Variants:linear:FinetuneSteps", StageSettings.Read(Dir("b", "finetune"))!.Values.Keys);

        // A changed budget is refused on resume like any Recipe key; config shows it; a negative one is refused at start.
        var changed = _cli.Run(["run", "--profile", "profiles/recipe.json", "--run-dir", "b", .. stages, "--Recipe:Variants:nexus:FinetuneSteps=6"]);
        Assert.NotEqual(0, changed.Code);
        Assert.Contains("Recipe:Variants:nexus:FinetuneSteps: stored 5, now 6", changed.Error, StringComparison.Ordinal);
        var config = _cli.Run("config", "--profile", "profiles/recipe.json", "--Recipe:Variants:nexus:FinetuneSteps=5");
        Assert.True(config.Code == 0, config.Error);
        Assert.Equal(5, JsonNode.Parse(config.Out)!["Recipe"]!["Variants"]!["nexus"]!["FinetuneSteps"]!.GetValue<long>());
        Assert.Null(JsonNode.Parse(config.Out)!["Recipe"]!["Variants"]!["linear"]!["FinetuneSteps"]);
        Assert.Contains("training (finetune, variant nexus): Steps=5 (Recipe:Variants:nexus:FinetuneSteps); every other key from Training", config.Error, StringComparison.Ordinal);
        var negative = _cli.Run("config", "--profile", "profiles/recipe.json", "--Recipe:Variants:nexus:FinetuneSteps=-1");
        Assert.NotEqual(0, negative.Code);
        Assert.Contains("Recipe:Variants:nexus:FinetuneSteps: value -1 is not allowed: 0 or more optimizer steps (or leave it out for Recipe:FinetuneSteps)", negative.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainStage_ResumesWithItsSection_AsWithTheTrainingSection()
    {
        TinyProfile.Write(_cli);
        var first = _cli.Run("run", "--profile", "tiny", "--run-dir", "t", "--Recipe:Stages:train:Training:LearningRate=0.02", "--Recipe:Stages:train:Training:EvalEvery=1");
        Assert.True(first.Code == 0, first.Error);
        Assert.Equal("0.02", StageSettings.Read(Dir("t", "train"))!.Values["Training:LearningRate"]);
        Assert.Equal("1", StageSettings.Read(Dir("t", "train"))!.Values["Training:EvalEvery"]);

        // EvalEvery may change on resume, through the section as through Training:EvalEvery; the learning rate may not.
        var eval = _cli.Run("run", "--profile", "tiny", "--run-dir", "t", "--Recipe:Stages:train:Training:LearningRate=0.02", "--Recipe:Stages:train:Training:EvalEvery=2");
        Assert.True(eval.Code == 0, eval.Error);
        var lr = _cli.Run("run", "--profile", "tiny", "--run-dir", "t", "--Recipe:Stages:train:Training:EvalEvery=2");
        Assert.NotEqual(0, lr.Code);
        Assert.Contains("Training:LearningRate: stored 0.02, now 0.01 (it shapes the trained model)", lr.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ReusesTheTrainersFinalEvaluation_WithTheSameResultsAsEvaluatingAgain()
    {
        TinyRecipe.Write(_cli);
        var run = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "e", "--Training:EvalEvery=2");
        Assert.True(run.Code == 0, run.Error);
        string log = run.Out + run.Error;
        foreach (var model in new[] { "linear", "nexus", "average", "dense-continued" })
            Assert.Contains($"evaluate: {model}: validation as evaluated after its last training step", log, StringComparison.Ordinal);
        Assert.DoesNotContain("evaluate: seed: validation as evaluated", log, StringComparison.Ordinal);   // the seed trains without validation
        // The loss curves keep every evaluation point (steps 2 and 3 of 3): the last one is not dropped.
        Assert.Equal([2L, 3L], LossCurve.Load(Dir("e", "finetune", "nexus"))!.Validation.Select(p => p.Step));
        var reused = RecipeResults.Load(Dir("e", "evaluate"));

        foreach (var unit in Directory.GetFiles(Dir("e"), FinalEvaluation.FileName, SearchOption.AllDirectories)) File.Delete(unit);
        var again = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "e", "--Training:EvalEvery=2", "--stages", "evaluate", "--restart", "evaluate");
        Assert.True(again.Code == 0, again.Error);
        Assert.DoesNotContain("validation as evaluated", again.Out + again.Error, StringComparison.Ordinal);
        var measured = RecipeResults.Load(Dir("e", "evaluate"));

        Assert.Equal(measured.Models.Select(m => m.Name), reused.Models.Select(m => m.Name));
        foreach (var (a, b) in measured.Models.Zip(reused.Models))
        {
            Assert.Equal(a.Perplexity, b.Perplexity);
            Assert.Equal(a.TestPerplexity, b.TestPerplexity);
            Assert.Equal(a.Loss, b.Loss);
            Assert.Equal(a.Routing.Keys, b.Routing.Keys);
            foreach (var d in a.Routing.Keys) Assert.Equal(a.Routing[d].SelectMany(r => r.Fractions), b.Routing[d].SelectMany(r => r.Fractions));
            Assert.Equal((a.TotalParameters, a.ActiveTrainingParameters, a.ActiveInferenceParameters), (b.TotalParameters, b.ActiveTrainingParameters, b.ActiveInferenceParameters));
            Assert.Equal(a.Kind, b.Kind);
        }

        // Another evaluation batch size than the trainer's: evaluate measures again rather than reuse.
        var batch = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "e2", "--Training:EvalEvery=2", "--Recipe:Stages:finetune:Training:EvalBatchSize=2");
        Assert.True(batch.Code == 0, batch.Error);
        Assert.DoesNotContain("evaluate: nexus: validation as evaluated", batch.Out + batch.Error, StringComparison.Ordinal);
        Assert.Contains("evaluate: dense-continued: validation as evaluated", batch.Out + batch.Error, StringComparison.Ordinal);
    }
}
