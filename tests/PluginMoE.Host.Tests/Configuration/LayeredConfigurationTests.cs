// Configuration layers: appsettings.json < profile < PLUGINMOE__ environment < command-line overrides, and
// how profiles are found and broken files reported.
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

public sealed class LayeredConfigurationTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private ConfigurationRequest Request(string? profile = null, Dictionary<string, string?>? env = null, params string[] overrides) => new()
    {
        Profile = profile,
        HostDirectory = _dir.Combine("host"),
        WorkingDirectory = _dir.Combine("work"),
        Environment = env ?? [],
        Overrides = overrides,
    };

    private void WriteLayers()
    {
        _dir.Write("host/appsettings.json", """{ "Model": { "Layers": 1, "HiddenSize": 32 }, "Training": { "Steps": 10, "WarmupSteps": 1 } }""");
        _dir.Write("host/profiles/p.json", """{ "Model": { "Layers": 2 }, "Training": { "BatchSize": 3 } }""");
        Directory.CreateDirectory(_dir.Combine("work"));
    }

    [Fact]
    public void Build_EachLayer_OverridesTheOneBelow()
    {
        WriteLayers();
        var env = new Dictionary<string, string?> { ["PLUGINMOE__Model__Layers"] = "3", ["OTHER__Model__Layers"] = "9" };

        Assert.Equal("1", LayeredConfiguration.Build(Request()).Root["Model:Layers"]);
        Assert.Equal("2", LayeredConfiguration.Build(Request("p")).Root["Model:Layers"]);
        Assert.Equal("3", LayeredConfiguration.Build(Request("p", env)).Root["Model:Layers"]);
        var all = LayeredConfiguration.Build(Request("p", env, "--Model:Layers=4", "--Training:Steps", "20")).Root;
        Assert.Equal("4", all["Model:Layers"]);
        // Keys set only in lower layers survive.
        Assert.Equal("32", all["Model:HiddenSize"]);
        Assert.Equal("3", all["Training:BatchSize"]);
        Assert.Equal("20", all["Training:Steps"]);
    }

    [Fact]
    public void Load_LayeredValues_BindIntoTheOptionsClasses()
    {
        WriteLayers();
        var settings = HostSettings.Load(LayeredConfiguration.Build(Request("p", null, "--Model:Moe:Experts=4", "--Run:Stages=train")));
        Assert.Equal(2, settings.Model.Layers);
        Assert.Equal(32, settings.Model.HiddenSize);
        Assert.Equal(4, settings.Model.Moe.Experts);
        Assert.True(settings.Model.IsMoe);
        Assert.Equal(["train"], settings.Run.Stages);
        Assert.Equal("p", settings.ProfileName);
    }

    [Fact]
    public void Build_ProfileFromEnvironment_IsUsedWhenNoneIsGiven()
    {
        WriteLayers();
        var env = new Dictionary<string, string?> { ["PLUGINMOE_PROFILE"] = "p" };
        Assert.Equal("2", LayeredConfiguration.Build(Request(null, env)).Root["Model:Layers"]);
    }

    [Fact]
    public void Build_ProfileInWorkingDirectory_WinsOverTheOneBesideTheHost()
    {
        WriteLayers();
        _dir.Write("work/profiles/p.json", """{ "Model": { "Layers": 5 } }""");
        var built = LayeredConfiguration.Build(Request("p"));
        Assert.Equal("5", built.Root["Model:Layers"]);
        Assert.Equal(_dir.Combine("work", "profiles"), built.BaseDirectory);
    }

    [Fact]
    public void Build_ProfileGivenAsPath_IsReadFromThatFile()
    {
        WriteLayers();
        _dir.Write("work/elsewhere/mine.json", """{ "Model": { "Layers": 6 } }""");
        Assert.Equal("6", LayeredConfiguration.Build(Request("elsewhere/mine.json")).Root["Model:Layers"]);
    }

    [Fact]
    public void Build_UnknownProfile_ListsThePathsSearchedAndTheClosestProfile()
    {
        WriteLayers();
        var e = Assert.Throws<ConfigurationException>(() => LayeredConfiguration.Build(Request("q")));
        Assert.Contains($"profile 'q' not found: searched '{_dir.Combine("work", "profiles", "q.json")}', '{_dir.Combine("host", "profiles", "q.json")}'", e.Message);
        Assert.Contains("available profiles: p; did you mean 'p'?", e.Message);
    }

    [Fact]
    public void Build_BrokenProfileJson_NamesTheFileAndLine()
    {
        WriteLayers();
        string path = _dir.Write("host/profiles/broken.json", "{\n  \"Model\": {\n    \"Layers\": 2\n    \"Heads\": 4\n  }\n}\n");
        var e = Assert.Throws<ConfigurationException>(() => LayeredConfiguration.Build(Request("broken")));
        Assert.StartsWith($"profile '{path}' is not valid JSON at line 4, column 5:", e.Message);
    }

    [Fact]
    public void Build_ArgumentThatIsNotAnOverride_SaysWhatOverridesLookLike()
    {
        WriteLayers();
        var e = Assert.Throws<ConfigurationException>(() => LayeredConfiguration.Build(Request(null, null, "--Layers=4")));
        Assert.Equal("unrecognised argument '--Layers=4': settings overrides look like --Section:Key=value (for example --Model:Layers=4 or --Training:Steps=200)", e.Message);
    }
}
