// Per-stage and per-variant Training sections (StageTraining): the resolution order (Training < stage < variant, the
// variant only in finetune and extend), normalisation of configuration strings to typed values, every refusal with
// its wording, and the resolved JSON a training stage records.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using PluginMoE.Core.Recipe;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Tests.Recipe;

public sealed class StageTrainingTests
{
    // A profile as the host binds it: configuration values arrive as strings.
    private static ProfileSettings Profile(JsonObject? finetune = null, JsonObject? nexus = null, JsonObject? seed = null)
    {
        var recipe = new RecipeSettings
        {
            Variants = new(StringComparer.Ordinal)
            {
                ["nexus"] = new VariantSettings { Merge = "nexus", Router = "nexus", Training = nexus },
                ["linear"] = new VariantSettings { Merge = "btx", Router = "linear" },
            },
        };
        if (finetune is not null || seed is not null)
        {
            recipe.Stages = new(StringComparer.Ordinal);
            if (finetune is not null) recipe.Stages["finetune"] = new StageSection { Training = finetune };
            if (seed is not null) recipe.Stages["seed"] = new StageSection { Training = seed };
        }
        var errors = new List<string>();
        StageTraining.Bind(recipe, errors);
        Assert.Empty(errors);
        return new ProfileSettings { Training = new TrainerOptions { LearningRate = 0.003, BatchSize = 16, WarmupFraction = 0.1 }, Recipe = recipe };
    }

    private static List<string> Errors(string stage, JsonObject section)
    {
        var recipe = new RecipeSettings { Stages = new(StringComparer.Ordinal) { [stage] = new StageSection { Training = section } } };
        var errors = new List<string>();
        StageTraining.Bind(recipe, errors);
        return errors;
    }

    [Fact]
    public void WithoutSections_EveryStageTrainsWithTheTrainingSection()
    {
        var settings = Profile();
        foreach (var stage in StageTraining.TrainingStages)
        {
            Assert.Same(settings.Training, StageTraining.For(settings, stage));
            Assert.Same(settings.Training, StageTraining.For(settings, stage, "nexus"));
        }
    }

    [Fact]
    public void StageSection_ReplacesItsKeys_AndTheVariantSectionAppliesOverIt_InFinetuneAndExtendOnly()
    {
        var settings = Profile(
            finetune: new JsonObject { ["learningrate"] = "0.0005", ["WarmupSteps"] = "3" },
            nexus: new JsonObject { ["LearningRate"] = "0.0002", ["BatchSize"] = "4" },
            seed: new JsonObject { ["BatchSize"] = "32" });

        var seed = StageTraining.For(settings, "seed", "nexus");                 // a variant's section is not the seed's
        Assert.Equal(settings.Training with { BatchSize = 32 }, seed);

        var finetune = StageTraining.For(settings, "finetune");                  // the average baseline: the stage's section
        Assert.Equal(settings.Training with { LearningRate = 0.0005, WarmupSteps = 3 }, finetune);
        Assert.Equal(3, (finetune with { Steps = 100 }).EffectiveWarmupSteps());
        Assert.Equal(settings.Training with { LearningRate = 0.0005, WarmupSteps = 3 }, StageTraining.For(settings, "finetune", "linear"));
        Assert.Equal(settings.Training with { LearningRate = 0.0002, WarmupSteps = 3, BatchSize = 4 }, StageTraining.For(settings, "finetune", "nexus"));
        Assert.Equal(settings.Training with { LearningRate = 0.0002, BatchSize = 4 }, StageTraining.For(settings, "extend", "nexus"));
        Assert.Equal(settings.Training, StageTraining.For(settings, "baselines"));

        Assert.Equal(new Dictionary<string, string>
        {
            ["BatchSize"] = "Recipe:Variants:nexus:Training:BatchSize",
            ["LearningRate"] = "Recipe:Variants:nexus:Training:LearningRate",
            ["WarmupSteps"] = "Recipe:Stages:finetune:Training:WarmupSteps",
        }, StageTraining.Sources(settings, "finetune", "nexus"));
    }

    [Fact]
    public void Bind_NormalisesKeyNamesAndValues_ToTheTrainingSectionsTypedForm()
    {
        var settings = Profile(finetune: new JsonObject { ["learningrate"] = "5e-4", ["warmupsteps"] = "3", ["EvalEvery"] = "2" });
        var section = settings.Recipe.Stages!["finetune"].Training!;
        Assert.Equal("""{"LearningRate":0.0005,"WarmupSteps":3,"EvalEvery":2}""", section.ToJsonString());
    }

    [Fact]
    public void Describe_SaysWhatEachTrainingStageOfTheRunTrainsWith()
    {
        var settings = Profile(finetune: new JsonObject { ["LearningRate"] = "0.0005" }, nexus: new JsonObject { ["BatchSize"] = "4" }) with
        {
            Run = new RunOptions { Stages = ["seed", "upcycle", "finetune", "evaluate"] },
        };
        Assert.Equal(
        [
            "training (seed): the Training section",
            "training (finetune): LearningRate=0.0005 (Recipe:Stages:finetune:Training:LearningRate); every other key from Training",
            "training (finetune, variant nexus): BatchSize=4 (Recipe:Variants:nexus:Training:BatchSize), LearningRate=0.0005 (Recipe:Stages:finetune:Training:LearningRate); every other key from Training",
        ], StageTraining.Describe(settings));
    }

    [Fact]
    public void Errors_NameTheProfileKey_AndWhatWouldWork()
    {
        Assert.Equal(["Recipe:Stages:finetune:Training:LerningRate: unknown setting; Recipe:Stages:finetune:Training accepts BatchSize, GradientAccumulationSteps, LearningRate, " +
            "MinLearningRateRatio, WarmupSteps, WarmupFraction, WeightDecay, GradientClipNorm, EvalEvery, EvalBatchSize; did you mean 'LearningRate'?"],
            Errors("finetune", new JsonObject { ["LerningRate"] = "0.1" }));
        Assert.Equal(["Recipe:Stages:finetune:Training:Steps: not allowed here: a stage's steps are its budget: set Recipe:FinetuneSteps (the same for every variant: compute-matched), or a variant's own Recipe:Variants:<variant>:FinetuneSteps"],
            Errors("finetune", new JsonObject { ["Steps"] = "10" }));
        Assert.Equal(["Recipe:Stages:seed:Training:Steps: not allowed here: a stage's steps are its budget: set Recipe:SeedSteps"], Errors("seed", new JsonObject { ["Steps"] = "10" }));
        Assert.Equal(["Recipe:Stages:branch:Training:SequenceLength: not allowed here: every stage trains and evaluates on the same windows (the data is split by it); set Training:SequenceLength"],
            Errors("branch", new JsonObject { ["SequenceLength"] = "64" }));
        Assert.Equal(["Recipe:Stages:seed:Training:CheckpointEvery: not allowed here: only the train stage writes resumable checkpoints; remove it from the seed stage's Training section"],
            Errors("seed", new JsonObject { ["CheckpointEvery"] = "10" }));
        Assert.Equal(["Recipe:Stages:seed:Training:EvalEvery: not allowed here: the seed stage trains without a validation set, so its trainer never evaluates; set it for train, finetune, baselines or a variant"],
            Errors("seed", new JsonObject { ["EvalEvery"] = "10" }));
        Assert.Equal(["Recipe:Stages:finetune:Training:DomainWeights: not allowed here: the recipe's stages choose their own mixture (token counts; extend: Recipe:Extend's mix); remove it from the finetune stage's Training section"],
            Errors("finetune", new JsonObject { ["DomainWeights"] = new JsonObject { ["a"] = "2" } }));
        Assert.Equal(["Recipe:Stages:finetune:Training:LearningRate: value 'fast' is not allowed: expected a finite number such as 0.001 or 1e-3"],
            Errors("finetune", new JsonObject { ["LearningRate"] = "fast" }));
        Assert.Equal(["Recipe:Stages:finetune:Training:BatchSize: value '2.5' is not allowed: expected a whole number"], Errors("finetune", new JsonObject { ["BatchSize"] = "2.5" }));
        Assert.Equal(["Recipe:Stages:evaluate: the evaluate stage does not train; a Training section is accepted for the stages that train: train, seed, branch, finetune, extend, baselines"],
            Errors("evaluate", new JsonObject { ["LearningRate"] = "0.1" }));
        Assert.Equal(["Recipe:Stages:finetun: unknown stage; a Training section is accepted for the stages that train: train, seed, branch, finetune, extend, baselines; did you mean 'finetune'?"],
            Errors("finetun", new JsonObject { ["LearningRate"] = "0.1" }));
        // The train stage owns checkpoints and its domain weights; its steps are Training:Steps.
        Assert.Empty(Errors("train", new JsonObject { ["CheckpointEvery"] = "5", ["DomainWeights"] = new JsonObject { ["a"] = "2" } }));
        Assert.Equal(["Recipe:Stages:train:Training:Steps: not allowed here: a stage's steps are its budget: set Training:Steps"], Errors("train", new JsonObject { ["Steps"] = "5" }));
    }

    [Fact]
    public void AVariantWithOnlyATrainingSection_IsRefusedAsAnUndefinedVariant()
    {
        var recipe = new RecipeSettings
        {
            Variants = new(StringComparer.Ordinal)
            {
                ["nexus"] = new VariantSettings { Merge = "nexus", Router = "nexus" },
                ["nexsu"] = new VariantSettings { Training = new JsonObject { ["LearningRate"] = 0.001 } },
            },
        };
        var problems = recipe.Validate(new ValidationContext(recipe)).ToList();
        var problem = Assert.Single(problems);
        Assert.Equal("Variants:nexsu:Training", Assert.Single(problem.MemberNames));
        Assert.Equal("a Training section for a variant the profile does not define (it sets nothing else); the variants are nexus; did you mean 'nexus'?", problem.ErrorMessage);
    }

    [Fact]
    public void ResolvedFor_GivesATrainingStageItsEffectiveTraining_AndLeavesProfilesWithoutSectionsAsTheyWere()
    {
        var resolved = JsonNode.Parse("""
            { "Run": { "Seed": 1 }, "Training": { "LearningRate": 0.003, "BatchSize": 16 },
              "Recipe": { "SeedSteps": 5, "Stages": { "finetune": { "Training": { "LearningRate": 0.0005 } } } } }
            """)!.AsObject();
        Assert.Same(resolved, StageTraining.ResolvedFor(resolved, "seed"));
        var finetune = StageTraining.ResolvedFor(resolved, "finetune");
        Assert.Equal("""{"LearningRate":0.0005,"BatchSize":16}""", finetune["Training"]!.ToJsonString());
        Assert.Equal("""{"LearningRate":0.003,"BatchSize":16}""", resolved["Training"]!.ToJsonString());

        // What the finetune stage records: its effective Training, and the section under Recipe as every Recipe key.
        var recorded = new FinetuneStage().Fingerprint(resolved).Values;
        Assert.Equal("0.0005", recorded["Training:LearningRate"]);
        Assert.Equal("0.0005", recorded["Recipe:Stages:finetune:Training:LearningRate"]);
        Assert.Equal("0.003", new SeedStage().Fingerprint(resolved).Values["Training:LearningRate"]);

        var plain = JsonNode.Parse("""{ "Run": { "Seed": 1 }, "Training": { "LearningRate": 0.003 }, "Recipe": { "SeedSteps": 5 } }""")!.AsObject();
        Assert.Equal(StageSettings.From(plain, new SeedStage().DefiningSettings).Values, new FinetuneStage().Fingerprint(plain).Values);
    }

    [Fact]
    public void WarmupNotice_ASectionsWarmupLongerThanTheBudget_NamesTheSectionsKeyAndTheBudget()
    {
        var settings = Profile(
            finetune: new JsonObject { ["WarmupSteps"] = "50" },
            nexus: new JsonObject { ["WarmupSteps"] = "500" },
            seed: new JsonObject { ["WarmupSteps"] = "300" });
        string? Notice(string stage, string? variant, long steps) =>
            StageTraining.WarmupNotice(settings, stage, variant, StageTraining.For(settings, stage, variant) with { Steps = steps });

        Assert.Equal("Recipe:Stages:seed:Training:WarmupSteps (300) is longer than the seed stage's budget of 200 steps (Recipe:SeedSteps); " +
            "warming up over all 200 steps instead (set Recipe:Stages:seed:Training:WarmupFraction, e.g. 0.1, to warm up over a share of the budget)",
            Notice("seed", null, 200));
        Assert.Equal("Recipe:Variants:nexus:Training:WarmupSteps (500) is longer than the finetune stage's budget of 100 steps (Recipe:FinetuneSteps); " +
            "warming up over all 100 steps instead (set Recipe:Variants:nexus:Training:WarmupFraction, e.g. 0.1, to warm up over a share of the budget)",
            Notice("finetune", "nexus", 100));
        Assert.StartsWith("Recipe:Stages:finetune:Training:WarmupSteps (50) is longer than the finetune stage's budget of 40 steps", Notice("finetune", "linear", 40), StringComparison.Ordinal);
        Assert.Null(Notice("finetune", "linear", 50));     // as long as the budget: nothing clamped
        Assert.Null(Notice("seed", null, 0));         // no steps, no warmup
        Assert.Null(Notice("branch", null, 10));       // no section: the shared Training:WarmupSteps has its own notice
        var shared = new ProfileSettings { Training = new TrainerOptions { WarmupSteps = 90 } };
        Assert.Null(StageTraining.WarmupNotice(shared, "seed", null, shared.Training with { Steps = 10 }));
    }
}
