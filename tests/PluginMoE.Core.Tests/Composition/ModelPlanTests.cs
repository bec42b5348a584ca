// Plugin options are bound once: a ModelPlan binds each slot's JSON once (or takes options already bound), building a
// model from it binds nothing again and every plugin factory receives the plan's instance; a checkpoint's config.json
// options that a plugin rejects name the file and the JSON key.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Tests.Checkpoints;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Composition;

public sealed class ModelPlanTests
{
    // Counts BindOptions calls and records the options each factory's Create receives.
    private sealed class RecordingCatalog : IComponentCatalog
    {
        private readonly ComponentCatalog _inner = TestCatalog.Create().AddExpert("null", new NullExpertFactory());

        public List<string> Binds { get; } = [];

        public List<(string Plugin, object? Options)> Created { get; } = [];

        public IRouterFactory Router(string name) => new RecordingRouter(_inner.Router(name), name, Created);

        public IExpertFactory Expert(string name) => new RecordingExpert(_inner.Expert(name), name, Created);

        public object? BindOptions(IPluginFactory factory, JsonObject? options, string keyPath)
        {
            Binds.Add(keyPath);
            return _inner.BindOptions(factory is IWrapped w ? w.Inner : factory, options, keyPath);
        }
    }

    private interface IWrapped
    {
        IPluginFactory Inner { get; }
    }

    private sealed class RecordingRouter(IRouterFactory inner, string name, List<(string, object?)> created) : IRouterFactory, IWrapped
    {
        public IPluginFactory Inner => inner;

        public Type? OptionsType => inner.OptionsType;

        public RouterModule Create(RouterSpec spec)
        {
            created.Add((name, spec.Options));
            return inner.Create(spec);
        }
    }

    private sealed class RecordingExpert(IExpertFactory inner, string name, List<(string, object?)> created) : IExpertFactory, IWrapped
    {
        public IPluginFactory Inner => inner;

        public Type? OptionsType => inner.OptionsType;

        public ExpertModule Create(ExpertSpec spec)
        {
            created.Add((name, spec.Options));
            return inner.Create(spec);
        }

        public IReadOnlyList<(string Name, long[] Shape)> ParameterLayout(ExpertSpec spec) => inner.ParameterLayout(spec);
    }

    private static ModelConfig Moe() => new()
    {
        HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 3, NumAttentionHeads = 2, NumKeyValueHeads = 2, MaxPositionEmbeddings = 16,
        ExpertOptions = new JsonObject { ["InitStd"] = 0.03 },
        Moe = new MoeConfig
        {
            NumExperts = 5, TopK = 2, SharedExpertIntermediateSize = 8,
            RouterOptions = new JsonObject { ["JitterNoise"] = 0.1 },
            ExpertGroups = [new ExpertGroup("swiglu", 2), new ExpertGroup("gelu", 2) { Options = new JsonObject { ["Approximate"] = "tanh" } }, new ExpertGroup("null", 1)],
        },
    };

    [Fact]
    public void Bind_BindsEachSlotOnce_AndTheModelBindsNothingMore_EveryFactoryGettingThePlansInstance()
    {
        var catalog = new RecordingCatalog();
        var plan = ModelPlan.Bind(Moe(), catalog);
        Assert.Equal(["Moe:RouterOptions", "ExpertOptions", "Moe:ExpertGroups:1:Options", "Moe:ExpertGroups:2:Options"], catalog.Binds);
        Assert.Equal(0.03, Assert.IsType<SwiGluOptions>(plan.ExpertOptions).InitStd);
        Assert.Equal(0.1, Assert.IsType<LinearRouterOptions>(plan.RouterOptions).JitterNoise);

        catalog.Binds.Clear();
        _ = new TransformerLM(plan, catalog, new Generator(0));
        Assert.Empty(catalog.Binds);
        // Per layer: a router, 2 swiglu + 2 gelu + 1 null experts, a swiglu shared expert; 3 layers.
        Assert.Equal(3 * 7, catalog.Created.Count);
        Assert.All(catalog.Created.Where(c => c.Plugin == "linear"), c => Assert.Same(plan.RouterOptions, c.Options));
        Assert.All(catalog.Created.Where(c => c.Plugin == "swiglu"), c => Assert.Same(plan.ExpertOptions, c.Options));
        Assert.All(catalog.Created.Where(c => c.Plugin == "gelu"), c => Assert.Same(plan.GroupOptions![1], c.Options));
        Assert.Equal("tanh", Assert.IsType<GeluOptions>(plan.GroupOptions![1]).Approximate);
        Assert.Equal(3 * 2, catalog.Created.Count(c => c.Plugin == "gelu"));
    }

    [Fact]
    public void ModelFromAConfig_BindsEachSlotOnce_NotOncePerLayerOrExpert()
    {
        var catalog = new RecordingCatalog();
        _ = new TransformerLM(Moe(), catalog, new Generator(0));
        Assert.Equal(4, catalog.Binds.Count);
    }

    [Fact]
    public void FromBound_KeepsTheInstances_AndWritesTheirJsonFormIntoTheConfig()
    {
        var expert = new SwiGluOptions { InitStd = 0.05 };
        var router = new LinearRouterOptions { JitterNoise = 0.2 };
        var config = Moe();
        var plan = ModelPlan.FromBound(config, expert, router, [null, new GeluOptions(), null]);
        Assert.Same(expert, plan.ExpertOptions);
        Assert.Same(router, plan.RouterOptions);
        Assert.Equal(0.05, plan.Config.ExpertOptions!["InitStd"]!.GetValue<double>());
        Assert.Equal(0.2, plan.Config.Moe!.RouterOptions!["JitterNoise"]!.GetValue<double>());
        Assert.Null(plan.Config.Moe.ExpertGroups![0].Options);
        Assert.Equal("none", plan.Config.Moe.ExpertGroups[1].Options!["Approximate"]!.GetValue<string>());
        Assert.Equal(("swiglu", (object?)expert), plan.RoutedExpert(1));

        var catalog = new RecordingCatalog();
        var model = new TransformerLM(plan, catalog, new Generator(0));
        Assert.Empty(catalog.Binds);
        Assert.Same(plan, model.Plan);
    }

    [Fact]
    public void CheckpointOptionsARouterRejects_NameTheConfigJsonFileAndKey()
    {
        using var scratch = new ScratchFolder();
        var catalog = TestCatalog.Create().AddExpert("null", new NullExpertFactory());
        var dir = scratch.Sub("moe");
        CheckpointStore.Save(dir, new TransformerLM(Moe(), catalog, new Generator(0)).ToCheckpoint());
        string file = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(file))!;
        json["pluginmoe"]!["moe"]!["router_options"]!["Normalise"] = "x";
        json["pluginmoe"]!["moe"]!["expert_groups"]![1]!["options"]!["Approximate"] = "sigmoid";
        File.WriteAllText(file, json.ToJsonString());

        var e = Assert.Throws<ArgumentException>(() => TransformerLM.FromCheckpoint(CheckpointStore.Load(dir), catalog));
        var lines = e.Message.Split('\n');
        Assert.StartsWith($"'{file}': pluginmoe.moe.router_options.Normalise: unknown option of router plugin 'linear'; known options:", lines[0]);
        Assert.StartsWith($"'{file}': pluginmoe.moe.expert_groups.1.options.Approximate: value \"sigmoid\" is invalid:", lines[1]);
    }
}
