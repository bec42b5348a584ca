// Recipe variants: per-variant overrides of the Model/Moe settings bind, inherit and are validated with their key
// paths; a From=scratch variant trains in a tiny recipe without seed or experts; the mhmoe-vs-smoe profile's variants
// have the total and active parameters of its sparse-MoE baseline; a router's own default top-k (nexus: 1) applies
// when no TopK is set; multi-head routing over upcycled experts, or with heads that do not divide d, fails at start.
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class VariantTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static HostSettings Settings(string? profile, List<string> errors, params string[] overrides) =>
        HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = profile,
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
            Overrides = overrides,
        }), errors);

    // Every problem the settings and the upcycle stage's start checks find.
    private static List<string> Problems(params string[] overrides)
    {
        var errors = new List<string>();
        var settings = Settings("quickstart", errors, overrides);
        new UpcycleStage().Validate(settings.Profile, TestPlugins.Instance, errors);
        return errors;
    }

    [Fact]
    public void Overrides_InheritTheModelSection_AndBindTheirPluginOptions()
    {
        var errors = new List<string>();
        var settings = Settings("quickstart", errors,
            "--Model:Moe:Router=xmoe", "--Model:Moe:RouterOptions:RoutingDim=8", "--Model:Moe:LoadBalanceWeight=0.02", "--Model:Moe:Experts=6",
            "--Recipe:Baselines=false",
            "--Recipe:Variants:scratch:From=scratch", "--Recipe:Variants:scratch:RouterOptions:Form=code", "--Recipe:Variants:scratch:ExpertIntermediateSize=40",
            "--Recipe:Variants:scratch:ExpertOptions:WidthMultiplier=0.5");
        Assert.Empty(errors);
        var variants = VariantModels.Resolve(settings.Profile, TestPlugins.Instance, domains: 3, errors);
        Assert.Empty(errors);

        var scratch = variants.Single(v => v.Name == "scratch");
        Assert.False(scratch.IsUpcycled);
        Assert.Equal("xmoe", scratch.Moe.Router);                                        // inherited router
        Assert.Equal(8, scratch.Moe.RouterOptions!["RoutingDim"]!.GetValue<int>());      // inherited option ...
        Assert.Equal("code", scratch.Moe.RouterOptions!["Form"]!.GetValue<string>());    // ... merged with the variant's
        Assert.Equal(6, scratch.Moe.NumExperts);                                         // Model:Moe:Experts
        Assert.Equal(2, scratch.Moe.TopK);                                               // xmoe's default
        Assert.Equal(0.02, scratch.Moe.LoadBalanceWeight);
        Assert.Equal(40, scratch.Config.ExpertIntermediateSize);
        Assert.Equal(0.5, scratch.Config.ExpertOptions!["WidthMultiplier"]!.GetValue<double>());

        var nexus = variants.Single(v => v.Name == "nexus");                             // the profile's own settings win
        Assert.True(nexus.IsUpcycled);
        Assert.Equal(("nexus", 1, 3, 0.05), (nexus.Moe.Router, nexus.Moe.TopK, nexus.Moe.NumExperts, nexus.Moe.LoadBalanceWeight));
        Assert.Null(nexus.Moe.RouterOptions!["DomainEmbeddings"]);                       // another router: the Model's xmoe options are not inherited
        Assert.Equal("tfidf", nexus.Embedder);
    }

    [Fact]
    public void BadOverrides_AreReportedWithTheirKeyPathAndWhatWouldWork()
    {
        var errors = Problems(
            "--Recipe:Variants:a:From=sideways",
            "--Recipe:Variants:b:From=scratch", "--Recipe:Variants:b:Merge=btx", "--Recipe:Variants:b:Experts=4", "--Recipe:Variants:b:Embedder=tfidf",
            "--Recipe:Variants:c:Merge=btx", "--Recipe:Variants:c:ExpertIntermediateSize=32",
            "--Recipe:Variants:d:From=scratch", "--Recipe:Variants:d:Experts=2", "--Recipe:Variants:d:TopK=3",
            "--Recipe:Variants:e:From=scratch");
        string all = string.Join("\n", errors);
        Assert.Contains("Recipe:Variants:a:From: value 'sideways' is not allowed: 'upcycle' (merge the seed and the domain experts) or 'scratch' (a freshly initialised MoE)", all);
        Assert.Contains("Recipe:Variants:b:Merge: value 'btx' is not allowed: a from-scratch variant (From=scratch) merges nothing; remove Merge, or set From=upcycle", all);
        Assert.Contains("Recipe:Variants:b:Embedder: value 'tfidf' is not allowed: domain embeddings feed the merge of an upcycled variant, not one with From=scratch", all);
        Assert.Contains("Recipe:Variants:c:ExpertIntermediateSize: value 32 is not allowed: the experts of an upcycled variant are the dense domain experts' FFNs; set From=scratch to choose them", all);
        Assert.Contains("Recipe:Variants:d:TopK: value 3 is not allowed: at most Experts (2)", all);
        Assert.Contains("Recipe:Variants:e:Experts: required for From=scratch (or set Model:Moe:Experts): the number of routed experts of the MoE", all);
    }

    [Fact]
    public void StageChecks_SayWhatAProfileNeeds()
    {
        // Only from-scratch variants: the baselines and the seed/branch stages are not needed.
        var errors = new List<string>();
        var settings = Settings("quickstart", errors, "--Recipe:Variants:nexus:From=scratch", "--Recipe:Variants:nexus:Merge=",
            "--Recipe:Variants:linear:From=scratch", "--Recipe:Variants:linear:Merge=", "--Model:Moe:Experts=4");
        Assert.Contains("Recipe:Baselines: value true is not allowed: the baselines (the dense seed continued, the average merge of the domain experts) need the seed and branch stages, " +
            "but every variant is From=scratch; set Recipe:Baselines=false (a from-scratch profile runs upcycle, finetune, evaluate, report)", errors);

        errors = Problems("--Recipe:Variants:nexus:From=scratch", "--Recipe:Variants:nexus:Merge=", "--Recipe:Variants:linear:From=scratch",
            "--Recipe:Variants:linear:Merge=", "--Model:Moe:Experts=4", "--Recipe:Baselines=false", "--Recipe:Variants:nexus:Router=linear");
        Assert.Contains("Run:Stages: stage 'seed' is not needed: every variant is From=scratch and Recipe:Baselines is false, so nothing uses a seed, domain experts " +
            "or embeddings; a from-scratch profile runs upcycle, finetune, evaluate, report (stages now: seed, branch, embed, upcycle, finetune, baselines, evaluate, report)", errors);

        // Upcycled variants in a new run folder without the stages that make their inputs.
        errors = Problems("--Run:Stages:0=embed", "--Run:Stages:1=upcycle", "--Run:Stages:2=finetune", "--Run:Stages:3=evaluate", "--Run:Stages:4=report",
            "--Run:Stages:5=report", "--Run:Stages:6=report", "--Run:Stages:7=report");
        Assert.Contains("Run:Stages: stage 'upcycle' needs stage 'seed' in a new run folder: variant(s) 'linear', 'nexus' are upcycled from the seed and the domain experts; " +
            "add 'seed' before 'upcycle' (stages now: embed, upcycle, finetune, evaluate, report, report, report, report), or pass --run-dir with a run folder where it is complete", errors);
    }

    [Fact]
    public void MultiHeadRouting_OfAnUpcycledVariant_FailsAtStartSayingWhyAndWhatWorks()
    {
        var errors = Problems("--Recipe:Variants:linear:Router=multi-head", "--Recipe:Variants:linear:RouterOptions:Heads=4");
        Assert.Contains("Recipe:Variants:linear:Router: router 'multi-head' splits every token into 4 sub-tokens of width 16 (d/h) and needs experts of that width, " +
            "but an upcycled variant's experts are the dense experts' FFNs of width 64 (Model:HiddenSize). Train this variant from scratch " +
            "(From=scratch: its experts are built at width d/h), or upcycle with a router that routes whole tokens (linear, nexus, xmoe)", errors);
    }

    [Fact]
    public void MultiHeadRouting_WithHeadsThatDoNotDivideTheWidth_FailsAtStart()
    {
        var errors = Problems("--Recipe:Baselines=false", "--Recipe:Variants:mh:From=scratch", "--Recipe:Variants:mh:Experts=4",
            "--Recipe:Variants:mh:Router=multi-head", "--Recipe:Variants:mh:RouterOptions:Heads=3");
        Assert.Contains(errors, e => e.StartsWith("Recipe:Variants:mh:Router: router 'multi-head': Heads = 3 does not divide the model width 64; " +
            "every token is split into h sub-tokens of width d/h, so h must be a divisor of 64 (1, 2, 4, 8, 16, 32, 64)", StringComparison.Ordinal));

        // The train stage checks the same before it creates a run folder.
        _cli.Write("profiles/train-small.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "profiles", "train-small.json")));
        _cli.Write("profiles/mh.json", """{ "Extends": "train-small", "Model": { "Moe": { "Router": "multi-head", "RouterOptions": { "Heads": 3 } } }, "Training": { "Steps": 2 } }""");
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/mh.json", "--run-dir", "mh-run");
        Assert.Equal(2, code);
        Assert.Contains("Model:Moe:Router: router 'multi-head': Heads = 3 does not divide the model width 64", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "mh-run")), output);
    }

    [Fact]
    public void NexusRouter_WithoutATopK_RoutesToItsDefaultTop1()
    {
        // The plain train stage: Model:Moe:TopK left out.
        var errors = new List<string>();
        var settings = Settings("train-small", errors, "--Model:Moe:Router=nexus", "--Model:Moe:RouterOptions:DomainEmbeddings:0:0=1",
            "--Model:Moe:RouterOptions:DomainEmbeddings:1:0=0", "--Model:Moe:RouterOptions:DomainEmbeddings:2:0=1",
            "--Model:Moe:RouterOptions:DomainEmbeddings:3:0=-1", "--Model:Moe:TopK=");
        Assert.Empty(errors);
        Assert.Null(settings.Model.Moe.TopK);
        Assert.Equal(1, PluginSelection.Resolve(settings.Profile, TestPlugins.Instance).Model.Moe!.TopK);
        // ... and linear keeps 2.
        settings = Settings("train-small", errors, "--Model:Moe:TopK=");
        Assert.Equal(2, PluginSelection.Resolve(settings.Profile, TestPlugins.Instance).Model.Moe!.TopK);

        // A recipe variant without TopK.
        settings = Settings("quickstart", errors, "--Recipe:Variants:nexus:TopK=");
        Assert.Empty(errors);
        var nexus = VariantModels.Resolve(settings.Profile, TestPlugins.Instance, domains: 3, errors).Single(v => v.Name == "nexus");
        Assert.Equal(1, nexus.Moe.TopK);
    }

    [Fact]
    public void MhmoeProfile_EveryVariantHasTheTotalAndActiveParametersOfTheSparseMoe()
    {
        var errors = new List<string>();
        var settings = Settings("mhmoe-vs-smoe", errors);
        Assert.Empty(errors);
        var variants = VariantModels.Resolve(settings.Profile, TestPlugins.Instance, domains: 3, errors);
        Assert.Empty(errors);
        Assert.Equal(["linear", "mh1", "mh2", "mh4", "mh8", "xmoe"], variants.Select(v => v.Name).Order());
        Assert.All(variants, v => Assert.False(v.IsUpcycled));

        var counts = variants.ToDictionary(v => v.Name, v => new TransformerLM(v.Config, TestPlugins.Instance.Catalog, new Generator(1)).CountParameters());
        var baseline = counts["xmoe"];
        foreach (var (name, c) in counts)
        {
            Assert.True(Math.Abs((double)c.Total / baseline.Total - 1) < 0.01, $"{name}: {c.Total} parameters, xmoe {baseline.Total}");
            Assert.True(Math.Abs((double)c.ActiveTraining / baseline.ActiveTraining - 1) < 0.01, $"{name}: {c.ActiveTraining} active, xmoe {baseline.ActiveTraining}");
        }
        // The multi-head variants really route sub-tokens of width d/h to experts of that width, h = 1, 2, 4, 8.
        foreach (int h in new[] { 1, 2, 4, 8 })
        {
            var v = variants.Single(x => x.Name == $"mh{h}");
            Assert.Equal(h, v.Moe.RouterOptions!["Heads"]!.GetValue<int>());
            var model = new TransformerLM(v.Config, TestPlugins.Instance.Catalog, new Generator(1));
            Assert.All(model.MoeLayers, l => Assert.Equal(64 / h, l.Block.ExpertDim));
        }
    }

    [Fact]
    public void FromScratchVariant_TrainsInATinyRecipeWithoutSeedOrExperts()
    {
        TinyRecipe.Write(_cli);
        _cli.Write("profiles/scratch.json", """
            {
              "Extends": "recipe.json",
              "Run": { "Stages": [ "upcycle", "finetune", "evaluate", "report" ] },
              "Model": { "Moe": { "Experts": 4, "Router": "linear" } },
              "Recipe": {
                "Baselines": false,
                "Variants": {
                  "nexus": { "From": "scratch", "Merge": null, "Router": "xmoe", "TopK": 2 },
                  "linear": { "From": "scratch", "Merge": null, "TopK": 1 }
                }
              }
            }
            """);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/scratch.json", "--run-dir", "run1");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        string run = Path.Combine(_cli.WorkingDirectory, "run1");
        Assert.False(Directory.Exists(Path.Combine(run, "seed")));
        var results = RecipeResults.Load(Path.Combine(run, "evaluate"));
        Assert.Equal(["linear", "nexus"], results.Models.Select(m => m.Name));    // no seed, no baselines
        Assert.All(results.Models, m => Assert.All(m.Perplexity.Values, p => Assert.True(double.IsFinite(p) && p > 1)));
        var trained = PluginMoE.Core.Checkpoints.CheckpointStore.Load(Path.Combine(run, "finetune", "nexus", "model")).Config.Moe!;
        Assert.Equal(("xmoe", 4, 2), (trained.Router, trained.NumExperts, trained.TopK));
        Assert.Contains("upcycle: 'linear': from scratch, MoE of 4 experts, top-1, router 'linear'", output + error, StringComparison.Ordinal);
        Assert.Contains("| linear |", File.ReadAllText(Path.Combine(run, "report", "report.md")), StringComparison.Ordinal);
    }
}
