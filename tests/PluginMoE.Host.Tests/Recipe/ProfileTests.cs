// Every profile shipped in profiles/ loads (with the profiles it extends), binds, validates, names only known
// stages, and passes every stage's own checks against the real plugins.
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Recipe;

public sealed class ProfileTests
{
    public static TheoryData<string> Profiles() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "profiles"), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order()];

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Profile_LoadsValidatesAndPassesEveryStagesChecks(string profile)
    {
        var errors = new List<string>();
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = profile,
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }), errors);
        Assert.Empty(errors);
        var stages = StageRunner.Default.Resolve(settings.Run.Stages, errors, "Run:Stages");
        foreach (var stage in stages) stage.Validate(settings.Profile, TestPlugins.Instance, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Quickstart_IsTheWholeRecipeOnThreeDomainsWithADenseSeed()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "quickstart",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        Assert.Null(PluginSelection.Resolve(settings.Profile, TestPlugins.Instance).Model.Moe);   // the seed is dense; the variants make the MoEs
        Assert.Equal(["seed", "branch", "embed", "upcycle", "finetune", "baselines", "evaluate", "report"], settings.Run.Stages);
        Assert.Equal("nexus", settings.Recipe.Variants["nexus"].Router);
        Assert.Equal("btx", settings.Recipe.Variants["linear"].Merge);
        Assert.Equal(["c-headers", "licenses", "python"], settings.Data.LoaderOptions!["Domains"]!.AsObject().Select(kv => kv.Key).Order());
        Assert.Equal([1L], settings.Run.EffectiveSeeds());
        Assert.Equal((300, 150, 150), (settings.Recipe.SeedSteps, settings.Recipe.BranchSteps, settings.Recipe.FinetuneSteps));
    }

    [Fact]
    public void PaperProfiles_ExtendTheQuickstartAndCompareNexusWithLinear()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "nexus-vs-btx",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        // Four initial domains and a fifth, perl, held out for the extension at three budgets (and 0).
        Assert.Equal(5, settings.Data.LoaderOptions!["Domains"]!.AsObject().Count);
        Assert.Equal("perl", settings.Recipe.Extend!.Domain);
        Assert.Equal([0L, 40L, 100L, 200L], settings.Recipe.Extend.Budgets);
        Assert.Contains("extend", settings.Run.Stages);
        Assert.Equal(["linear", "nexus"], settings.Recipe.Variants.Keys.Order());
        Assert.Equal(128, settings.Model.HiddenSize);
        Assert.Equal(800, settings.Recipe.SeedSteps);
    }

    [Fact]
    public void RouterAblation_ExtendsTheSameLinearVariantWithResetAndWithExpand_AndNexusForReference()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "ablation-router-expand-vs-reset",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        var extensions = settings.Recipe.Extend!.Extensions(settings.Recipe.Variants.Keys);
        Assert.Equal(["linear-expand", "linear-reset", "nexus"], extensions.Select(e => e.Name));
        Assert.Equal(["linear", "linear", "nexus"], extensions.Select(e => e.From));
        Assert.Equal(["expand", "reset"], extensions.Where(e => e.From == "linear").Select(e => e.RouterOptions!["ExtendMode"]!.GetValue<string>()));
        Assert.Equal("perl", settings.Recipe.Extend.Domain);
    }

    [Fact]
    public void NexusConditions_ComparesNexusAlongEachAxisWithLinear_InOneRun_AndPairsTheLowerLearningRate()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "ablation-nexus-conditions",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        var variants = settings.Recipe.Variants;
        Assert.Equal(["linear", "linear-lr1e-3", "nexus", "nexus-lb0.01", "nexus-lr1e-3", "nexus-top2"], variants.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("linear", settings.Recipe.Reference());
        Assert.False(settings.Recipe.Baselines);
        Assert.DoesNotContain("baselines", settings.Run.Stages);
        Assert.Equal((300, 150, 150), (settings.Recipe.SeedSteps, settings.Recipe.BranchSteps, settings.Recipe.FinetuneSteps));   // quickstart's budgets
        Assert.Equal(2, variants["nexus-top2"].TopK);
        Assert.Equal(variants["linear"].LoadBalanceWeight, variants["nexus-lb0.01"].LoadBalanceWeight);
        // Each axis changes one thing: the learning rate of the nexus/linear pair, and nothing else of the finetune settings.
        var shared = StageTraining.For(settings.Profile, "finetune");
        Assert.Equal(0.003, shared.LearningRate);
        foreach (var name in new[] { "nexus-lr1e-3", "linear-lr1e-3" })
            Assert.Equal(shared with { LearningRate = 0.001 }, StageTraining.For(settings.Profile, "finetune", name));
        foreach (var name in new[] { "linear", "nexus", "nexus-top2", "nexus-lb0.01" })
            Assert.Equal(shared, StageTraining.For(settings.Profile, "finetune", name));
    }
}
