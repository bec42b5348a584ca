// The committed train-small profile (the single-model train stage): it validates against the real defaults and plugins,
// and trains a 4-expert top-2 MoE.
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Stages;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

public sealed class TrainSmallProfileTests
{
    [Fact]
    public void TrainSmall_ValidatesAndSelectsATinyMoeOnTwoDomains()
    {
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            Profile = "train-small",
            HostDirectory = AppContext.BaseDirectory,
            WorkingDirectory = AppContext.BaseDirectory,
        }));
        var selection = PluginSelection.Resolve(settings, TestPlugins.Instance);
        Assert.Equal(4, selection.Model.Moe!.NumExperts);
        Assert.Equal(2, selection.Model.Moe.TopK);
        Assert.Equal("linear", selection.Model.Moe.Router);
        Assert.Equal(64, selection.Model.HiddenSize);
        Assert.Equal(128, settings.Training.SequenceLength);
        Assert.Equal(["train"], settings.Run.Stages);
        Assert.Equal(["licenses", "python"], settings.Data.LoaderOptions!["Domains"]!.AsObject().Select(kv => kv.Key).Order());
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
