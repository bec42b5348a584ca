// Plugins named by a profile: unknown names list the available ones with the closest, plugin options are
// validated by the plugin's options type with the full key path, and bound options are typed in the model config.
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Stages;

public sealed class PluginSelectionTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private HostSettings Settings(params string[] overrides)
    {
        Directory.CreateDirectory(_dir.Combine("work"));
        return HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides = ["--Data:LoaderOptions:Root=texts", .. overrides],
        }));
    }

    private string Error(params string[] overrides) =>
        Assert.Throws<ConfigurationException>(() => PluginSelection.Resolve(Settings(overrides).Profile, TestPlugins.Instance)).Message;

    [Fact]
    public void Resolve_UnknownRouter_ListsTheAvailableRoutersAndTheClosest() =>
        Assert.StartsWith("a configuration error in the settings: Model:Moe:Router: unknown router plugin 'linaer' (available: linear, multi-head, nexus, xmoe); did you mean 'linear'?",
            Error("--Model:Moe:Experts=4", "--Model:Moe:Router=linaer"));

    [Fact]
    public void Resolve_UnknownExpertAndLoader_AreBothReported()
    {
        string message = Error("--Model:Expert=swigloo", "--Data:Loader=jsnl");
        Assert.Contains("Data:Loader: unknown dataset loader plugin 'jsnl' (available: jsonl, local-corpus, synthetic, text-folder); did you mean 'jsonl'?", message);
        Assert.Contains("Model:Expert: unknown expert plugin 'swigloo' (available: gelu, null, swiglu); did you mean 'swiglu'?", message);
    }

    [Fact]
    public void Resolve_UnknownPluginOption_NamesTheFullKeyPath() =>
        Assert.Contains("Model:Moe:RouterOptions:Normalise: unknown option of router plugin 'linear'; known options:",
            Error("--Model:Moe:Experts=4", "--Model:Moe:RouterOptions:Normalise=true"));

    [Fact]
    public void Resolve_PluginOptionOfTheWrongType_NamesKeyAndValue() =>
        Assert.Contains("Data:LoaderOptions:MaxFilesPerDomain: value \"lots\" is not a valid integer (dataset loader plugin 'text-folder')",
            Error("--Data:LoaderOptions:MaxFilesPerDomain=lots"));

    [Fact]
    public void Resolve_ValidSettings_PutsTypedPluginOptionsIntoTheModelConfig()
    {
        var selection = PluginSelection.Resolve(Settings("--Model:Moe:Experts=4", "--Model:Moe:RouterOptions:JitterNoise=0.1").Profile, TestPlugins.Instance);
        var router = selection.Model.Moe!.RouterOptions!;
        Assert.Equal(0.1, router["JitterNoise"]!.GetValue<double>());
        Assert.Contains("Model:Moe:RouterOptions", selection.BoundOptions.Keys);
        Assert.Contains("Data:LoaderOptions", selection.BoundOptions.Keys);
    }
}
