// The committed train-small profile (the single-model train stage): it validates against the real defaults and plugins,
// and trains a 4-expert top-2 MoE.
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
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
        var selection = PluginSelection.Resolve(settings.Profile, TestPlugins.Instance);
        Assert.Equal(4, selection.Model.Moe!.NumExperts);
        Assert.Equal(2, selection.Model.Moe.TopK);
        Assert.Equal("linear", selection.Model.Moe.Router);
        Assert.Equal(64, selection.Model.HiddenSize);
        Assert.Equal(128, settings.Training.SequenceLength);
        Assert.Equal(["train"], settings.Run.Stages);
        Assert.Equal(["licenses", "python"], settings.Data.LoaderOptions!["Domains"]!.AsObject().Select(kv => kv.Key).Order());
    }
}
