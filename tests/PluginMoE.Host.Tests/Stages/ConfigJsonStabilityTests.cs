// config.json of a model built from a profile, byte for byte: plugin options are bound once from the profile and
// written as the checkpoint's JSON form; the files must equal those written before that change (fixtures recorded
// from the code of the previous commit, Fixtures/config-json/*.json). Set PLUGINMOE_WRITE_CONFIG_FIXTURES=1 to rewrite them.
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Tests.Stages;

public sealed class ConfigJsonStabilityTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string[]> Profiles => new()
    {
        { "dense-gelu", ["--Model:Moe:Experts=0", "--Model:Expert=gelu", "--Model:ExpertOptions:Approximate=tanh", "--Model:ExpertOptions:InitStd=0.01"] },
        { "linear-options", ["--Model:Moe:Experts=4", "--Model:Moe:TopK=2", "--Model:Moe:RouterOptions:JitterNoise=0.1", "--Model:Moe:RouterOptions:Variant=top-k", "--Model:ExpertOptions:InitStd=0.03"] },
        { "linear-defaults", ["--Model:Moe:Experts=2", "--Model:Moe:TopK=1"] },
        { "multi-head-nested", ["--Model:Moe:Experts=4", "--Model:Moe:TopK=2", "--Model:Moe:Router=multi-head", "--Model:Moe:RouterOptions:Heads=2", "--Model:Moe:RouterOptions:Inner=linear", "--Model:Moe:RouterOptions:InnerOptions:JitterNoise=0.05"] },
        { "groups", ["--Model:Moe:Experts=5", "--Model:Moe:TopK=2", "--Model:ExpertOptions:InitStd=0.01",
            "--Model:Moe:ExpertGroups:0:Expert=swiglu", "--Model:Moe:ExpertGroups:0:Count=2",
            "--Model:Moe:ExpertGroups:1:Expert=gelu", "--Model:Moe:ExpertGroups:1:Count=1",
            "--Model:Moe:ExpertGroups:2:Expert=gelu", "--Model:Moe:ExpertGroups:2:Count=1", "--Model:Moe:ExpertGroups:2:Options:Approximate=tanh",
            "--Model:Moe:ExpertGroups:3:Expert=null", "--Model:Moe:ExpertGroups:3:Count=1"] },
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ConfigJson_OfAProfilesModel_IsByteIdenticalToTheRecordedFile(string name, string[] overrides)
    {
        Directory.CreateDirectory(_dir.Combine("work"));
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides = ["--Data:LoaderOptions:Root=texts", "--Model:HiddenSize=16", "--Model:IntermediateSize=24", "--Model:Layers=2",
                "--Model:Heads=2", "--Model:KeyValueHeads=2", "--Model:MaxPositions=32", "--Training:SequenceLength=16", .. overrides],
        }));
        var selection = PluginSelection.Resolve(settings.Profile, TestPlugins.Instance);
        var model = new TransformerLM(selection.Model, TestPlugins.Instance.Catalog, new Generator(1));
        string dir = _dir.Combine("model");
        CheckpointStore.Save(dir, model.ToCheckpoint());
        var written = File.ReadAllBytes(Path.Combine(dir, "config.json"));

        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "config-json", name + ".json");
        if (Environment.GetEnvironmentVariable("PLUGINMOE_WRITE_CONFIG_FIXTURES") == "1")
        {
            string source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fixtures", "config-json", name + ".json"));
            File.WriteAllBytes(source, written);
            return;
        }
        Assert.Equal(File.ReadAllText(fixture), System.Text.Encoding.UTF8.GetString(written));
        Assert.Equal(File.ReadAllBytes(fixture), written);
    }
}
