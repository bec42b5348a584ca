// The committed quickstart profile: it validates against the real defaults and plugins, and runs the whole recipe (nexus vs linear).
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

public sealed class QuickstartProfileTests
{
    [Fact]
    public void Quickstart_ValidatesAndRunsTheWholeRecipeOnThreeDomains()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "quickstart",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        var selection = PluginSelection.Resolve(settings, TestPlugins.Instance);
        Assert.Null(selection.Model.Moe);                       // the seed is dense; the variants make the MoEs
        Assert.Equal(64, selection.Model.HiddenSize);
        Assert.Equal(128, settings.Training.SequenceLength);
        Assert.Equal(["seed", "branch", "embed", "upcycle", "finetune", "baselines", "evaluate", "report"], settings.Run.Stages);
        Assert.Equal(["linear", "nexus"], settings.Recipe.Variants.Keys.Order());
        Assert.Equal("nexus", settings.Recipe.Variants["nexus"].Router);
        Assert.Equal("btx", settings.Recipe.Variants["linear"].Merge);
        Assert.Equal(["c-headers", "licenses", "python"], settings.Data.LoaderOptions!["Domains"]!.AsObject().Select(kv => kv.Key).Order());
    }

    [Theory]
    [InlineData(0, 10, 0, 10)]
    [InlineData(0, 10, 3, 3)]
    [InlineData(3, 10, 3, 6)]
    [InlineData(4, 10, 3, 6)]
    [InlineData(9, 10, 3, 10)]
    public void NextBoundary_StopsAtTheNextEvaluationOrCheckpointOrTheEnd(long step, long max, long every, long expected) =>
        Assert.Equal(expected, TrainStage.NextBoundary(step, max, every, 0));
}
