// Every profile shipped in profiles/ loads (with the profiles it extends), binds, validates, names only known
// stages, and passes every stage's own checks against the real plugins.
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
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
        foreach (var stage in stages) stage.Validate(settings, TestPlugins.Instance, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void QuickstartRecipe_RunsEveryStageOnThreeDomainsWithADenseSeed()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "quickstart-recipe",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        Assert.Null(PluginSelection.Resolve(settings, TestPlugins.Instance).Model.Moe);   // the seed is dense; the variants make the MoEs
        Assert.Equal(["seed", "branch", "embed", "upcycle", "finetune", "baselines", "evaluate", "report"], settings.Run.Stages);
        Assert.Equal("nexus", settings.Recipe.Variants["nexus"].Router);
        Assert.Equal("btx", settings.Recipe.Variants["linear"].Merge);
        Assert.Equal(["c-headers", "licenses", "python"], settings.Data.LoaderOptions!["Domains"]!.AsObject().Select(kv => kv.Key).Order());
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
        Assert.Equal(4, settings.Data.LoaderOptions!["Domains"]!.AsObject().Count);
        Assert.Equal(["linear", "nexus"], settings.Recipe.Variants.Keys.Order());
        Assert.Equal(128, settings.Model.HiddenSize);
        Assert.Equal(800, settings.Recipe.SeedSteps);
    }
}
