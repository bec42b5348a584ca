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
    public void Resolve_MultiHeadInnerOptions_AreBoundAgainstTheInnerRouter_WithTheFullKeyPath()
    {
        string[] multiHead = ["--Model:Moe:Experts=4", "--Model:Moe:Router=multi-head", "--Model:Moe:RouterOptions:Heads=2"];
        string message = Error([.. multiHead, "--Model:Moe:RouterOptions:Inner=linear", "--Model:Moe:RouterOptions:InnerOptions:Normalise=true",
            "--Model:Moe:RouterOptions:InnerOptions:JitterNoise=lots"]);
        Assert.Contains("Model:Moe:RouterOptions:InnerOptions:Normalise: unknown option of router plugin 'linear'; known options:", message);
        Assert.Contains("Model:Moe:RouterOptions:InnerOptions:JitterNoise: value \"lots\" is not a valid number (router plugin 'linear')", message);
        Assert.Contains("Model:Moe:RouterOptions:Inner: unknown router plugin 'lineer' (available: linear, multi-head, nexus, xmoe); did you mean 'linear'?",
            Error([.. multiHead, "--Model:Moe:RouterOptions:Inner=lineer"]));

        var selection = PluginSelection.Resolve(Settings([.. multiHead, "--Model:Moe:RouterOptions:Inner=linear", "--Model:Moe:RouterOptions:InnerOptions:JitterNoise=0.05"]).Profile, TestPlugins.Instance);
        // The plugins load at run time (not referenced here): look at the bound instances by reflection.
        var options = selection.Plan.RouterOptions!;
        Assert.Equal("MultiHeadRouterOptions", options.GetType().Name);
        var inner = Assert.IsType<PluginMoE.Abstractions.Composition.NestedPluginOptions>(options.GetType().GetProperty("InnerOptions")!.GetValue(options));
        Assert.Equal("LinearRouterOptions", inner.Value!.GetType().Name);
        Assert.Equal(0.05, (double)inner.Value.GetType().GetProperty("JitterNoise")!.GetValue(inner.Value)!);
    }

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

    [Fact]
    public void Resolve_Again_ReusesTheBindingsAndProblems_WithATokenizerOfItsOwn()
    {
        string[] bpe = ["--Model:Moe:Experts=4", "--Data:Tokenizer=bpe", "--Data:TokenizerOptions:VocabSize=300", "--Model:VocabSize=300"];
        var check = PluginSelection.Resolve(Settings(bpe).Profile, TestPlugins.Instance);
        var run = PluginSelection.Resolve(Settings(bpe).Profile, TestPlugins.Instance);     // the same settings, loaded again
        Assert.Same(check.Plan, run.Plan);
        Assert.Same(check.BoundOptions, run.BoundOptions);
        Assert.Same(check.Loader, run.Loader);
        Assert.IsType<PluginMoE.Core.Text.PendingBpeTokenizer>(run.Tokenizer);
        Assert.NotSame(check.Tokenizer, run.Tokenizer);                                        // never a tokenizer another call holds
        Assert.Equal(check.Tokenizer, run.Tokenizer);                                          // made from the same options
        Assert.NotSame(run.Tokenizer, PluginSelection.Resolve(Settings(bpe).Profile, TestPlugins.Instance).Tokenizer);

        // Other settings bind anew; the same problems are reported with the same words every time.
        var other = PluginSelection.Resolve(Settings([.. bpe, "--Model:Moe:Experts=3"]).Profile, TestPlugins.Instance);
        Assert.NotSame(check.Plan, other.Plan);
        Assert.Equal(3, other.Model.Moe!.NumExperts);
        string[] bad = [.. bpe, "--Model:VocabSize=200", "--Model:Moe:Router=linaer"];
        Assert.Equal(Error(bad), Error(bad));
        Assert.Contains("Model:VocabSize: value 200 is not allowed: tokenizer 'bpe' has 300 ids, so it must be at least 300", Error(bad));
    }
}
