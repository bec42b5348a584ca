// Catalog lookups and option binding: errors name the plugin, the key path, the value and the alternatives.
using System.Text.Json.Nodes;
using PluginMoE.Core.Composition;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;

namespace PluginMoE.Core.Tests.Composition;

public class ComponentCatalogTests
{
    private readonly ComponentCatalog _catalog = TestCatalog.Create();

    [Fact]
    public void Expert_UnknownName_ListsAvailableNamesAndTheClosestMatch()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => _catalog.Expert("swigl"));
        Assert.Equal("unknown expert plugin 'swigl' (available: gelu, swiglu); did you mean 'swiglu'?", e.Message);
    }

    [Fact]
    public void Router_FarFromEveryName_GivesNoSuggestion()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => _catalog.Router("hypernetwork"));
        Assert.Equal("unknown router plugin 'hypernetwork' (available: linear)", e.Message);
    }

    [Fact]
    public void Router_NameInOtherCase_IsFound() => Assert.IsType<LinearRouterFactory>(_catalog.Router("Linear"));

    [Fact]
    public void BindOptions_NullOptions_GivesDefaults()
    {
        var o = Assert.IsType<LinearRouterOptions>(_catalog.BindOptions(new LinearRouterFactory(), null, "Moe:RouterOptions"));
        Assert.Equal("topk-softmax", o.Normalize);
    }

    [Fact]
    public void BindOptions_StringsFromConfiguration_BindToNumbersAndCaseInsensitiveNames()
    {
        var json = new JsonObject { ["normalize"] = "softmax-topk", ["JitterNoise"] = "0.01", ["InitStd"] = 0.5 };
        var o = Assert.IsType<LinearRouterOptions>(_catalog.BindOptions(new LinearRouterFactory(), json, "Moe:RouterOptions"));
        Assert.Equal(("softmax-topk", 0.01, 0.5), (o.Normalize, o.JitterNoise, o.InitStd));
    }

    [Fact]
    public void BindOptions_UnknownKey_NamesTheKeyPathAndKnownOptions()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            _catalog.BindOptions(new LinearRouterFactory(), new JsonObject { ["Normalise"] = "x" }, "Moe:RouterOptions"));
        Assert.StartsWith("Moe:RouterOptions:Normalise: unknown option of router plugin 'linear'; known options:", e.Message);
        Assert.Contains("known options: Variant, Normalize, JitterNoise, InitStd, ExtendMode, ExpandInit, GumbelAnnealRate, GumbelMinTemperature; did you mean 'Normalize'?", e.Message);
    }

    [Fact]
    public void BindOptions_WrongType_NamesTheKeyValueAndExpectedType()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            _catalog.BindOptions(new SwiGluExpertFactory(), new JsonObject { ["InitStd"] = "wide" }, "ExpertOptions"));
        Assert.StartsWith("ExpertOptions:InitStd: value \"wide\" is not a valid number", e.Message);
    }

    [Fact]
    public void BindOptions_OutOfRange_NamesTheKeyValueAndRange()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            _catalog.BindOptions(new LinearRouterFactory(), new JsonObject { ["JitterNoise"] = 2 }, "Moe:RouterOptions"));
        Assert.Contains("Moe:RouterOptions:JitterNoise: value 2 is invalid: The field JitterNoise must be between 0 and 1.", e.Message);
    }

    [Fact]
    public void BindOptions_DisallowedValue_ListsTheAllowedValues()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            _catalog.BindOptions(new GeluExpertFactory(), new JsonObject { ["Approximate"] = "sigmoid" }, "ExpertOptions"));
        Assert.Contains("ExpertOptions:Approximate: value \"sigmoid\" is invalid", e.Message);
        Assert.Contains("allowed: none, tanh", e.Message);
    }
}
