// Nested plugin options (a wrapper plugin holding another plugin's options, NestedPluginOptions with [PluginOptionsOf]):
// bound once with the outer options, errors keyed by the full path and the inner plugin, JSON form kept as configured;
// and the inference form of the routers bound once by ToInference, so that save -> load gives the same model.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Tests.Checkpoints;
using PluginMoE.Core.Tests.Model;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Composition;

public sealed class NestedPluginOptionsTests
{
    private const string Key = "Model:Moe:RouterOptions";

    private static ComponentCatalog Catalog() => TestCatalog.Create()
        .AddRouter("multi-head", new MultiHeadRouterFactory())
        .AddRouter("xmoe", new XMoeRouterFactory())
        .AddRouter("nexus", new NexusRouterFactory());

    private static MultiHeadRouterOptions Bind(ComponentCatalog catalog, string json) =>
        Assert.IsType<MultiHeadRouterOptions>(catalog.BindOptions(catalog.Router("multi-head"), JsonNode.Parse(json)!.AsObject(), Key));

    private static string Error(string json)
    {
        var catalog = Catalog();
        return Assert.Throws<ArgumentException>(() => catalog.BindOptions(catalog.Router("multi-head"), JsonNode.Parse(json)!.AsObject(), Key)).Message;
    }

    [Fact]
    public void InnerOptions_AreBoundWithTheOuterOptions_AndKeepTheirJsonFormAsConfigured()
    {
        var options = Bind(Catalog(), """{"Heads": 2, "Inner": "linear", "InnerOptions": {"jitternoise": "0.05"}}""");
        var inner = options.InnerOptions!;
        Assert.True(inner.IsBound);
        Assert.Equal(0.05, Assert.IsType<LinearRouterOptions>(inner.Value).JitterNoise);
        Assert.Same(inner.Value, inner.ForSpec);
        // The persisted form is the section as written (a string from a configuration provider stays a string).
        Assert.Equal("""{"Heads":2,"Inner":"linear","InnerOptions":{"jitternoise":"0.05"}}""", PluginOptionsJson.From(options)!.ToJsonString());
    }

    [Fact]
    public void AbsentInnerOptions_BindTheInnerRoutersDefaults_AndStayNullInTheJsonForm()
    {
        var options = Bind(Catalog(), """{"Heads": 2}""");
        Assert.IsType<XMoeRouterOptions>(options.InnerOptions!.Value);
        Assert.Equal("""{"Heads":2,"Inner":"xmoe","InnerOptions":null}""", PluginOptionsJson.From(options)!.ToJsonString());
    }

    [Fact]
    public void InnerOptions_UnknownKey_NamesTheFullKeyPathAndTheInnerPlugin()
    {
        var message = Error("""{"Heads": 2, "Inner": "linear", "InnerOptions": {"Jitter": 0.1}}""");
        Assert.StartsWith($"{Key}:InnerOptions:Jitter: unknown option of router plugin 'linear'; known options: ", message);
        Assert.EndsWith("did you mean 'JitterNoise'?", message);
    }

    [Fact]
    public void InnerOptions_BadValues_NameTheFullKeyPathTheValueAndTheInnerPlugin()
    {
        var lines = Error("""{"Heads": 2, "Inner": "linear", "InnerOptions": {"JitterNoise": "lots", "InitStd": -1}}""").Split('\n');
        Assert.Equal($"{Key}:InnerOptions:JitterNoise: value \"lots\" is not a valid number (router plugin 'linear')", lines[0]);
        Assert.StartsWith($"{Key}:InnerOptions:InitStd: value -1 is invalid: ", lines[1]);
        Assert.EndsWith("(router plugin 'linear')", lines[1]);
    }

    [Fact]
    public void UnknownInnerPlugin_NamesTheKeyTheAvailableRoutersAndTheClosest()
    {
        var message = Error("""{"Heads": 2, "Inner": "lineer", "InnerOptions": {"JitterNoise": 0.1}}""");
        Assert.Equal($"{Key}:Inner: unknown router plugin 'lineer' (available: linear, multi-head, nexus, xmoe); did you mean 'linear'?", message);
    }

    [Fact]
    public void InnerOptionsThatAreNotAnObject_SayWhatIsExpected()
    {
        var message = Error("""{"Heads": 2, "InnerOptions": 3}""");
        Assert.Equal($"{Key}:InnerOptions: value 3 is not a valid JSON object (the inner plugin's options) (router plugin 'multi-head')", message);
    }

    [Fact]
    public void OuterAndInnerProblems_AreReportedTogether()
    {
        var lines = Error("""{"Heads": 0, "Inner": "xmoe", "InnerOptions": {"RoutingDim": "wide"}}""").Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith($"{Key}:InnerOptions:RoutingDim: value \"wide\" is not a valid integer (router plugin 'xmoe')", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"{Key}:Heads: value 0 is invalid", StringComparison.Ordinal));
    }

    [Fact]
    public void OptionsBuiltInCode_PassTheirJson_WhichTheCatalogsResolverBinds()
    {
        var json = new JsonObject { ["JitterNoise"] = 0.25 };
        var options = new MultiHeadRouterOptions { Heads = 2, Inner = "linear", InnerOptions = new NestedPluginOptions(json) };
        Assert.False(options.InnerOptions.IsBound);
        var copy = Assert.IsType<JsonObject>(options.InnerOptions.ForSpec);
        Assert.NotSame(json, copy);
        Assert.True(JsonNode.DeepEquals(json, copy));

        var config = MultiHead("linear", null);
        var model = new TransformerLM(ModelPlan.FromBound(config, null, options), Catalog(), new Generator(0));
        var router = Assert.IsType<MultiHeadRouter>(model.MoeLayers[0].Block.Router);
        Assert.IsType<LinearRouter>(router.Inner);
        Assert.Equal("""{"Heads":2,"Inner":"linear","InnerOptions":{"JitterNoise":0.25}}""", model.Config.Moe!.RouterOptions!.ToJsonString());
    }

    [Fact]
    public void CheckpointInnerOptionsARouterRejects_NameTheConfigJsonFileAndNestedKey()
    {
        using var scratch = new ScratchFolder();
        var catalog = Catalog();
        var config = MultiHead("linear", new JsonObject { ["JitterNoise"] = 0.1 });
        var dir = scratch.Sub("moe");
        CheckpointStore.Save(dir, new TransformerLM(config, catalog, new Generator(0)).ToCheckpoint());
        string file = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(file))!;
        json["pluginmoe"]!["moe"]!["router_options"]!["InnerOptions"]!["JitterNoise"] = 7;
        File.WriteAllText(file, json.ToJsonString());

        var e = Assert.Throws<ArgumentException>(() => TransformerLM.FromCheckpoint(CheckpointStore.Load(dir), catalog));
        Assert.StartsWith($"'{file}': pluginmoe.moe.router_options.InnerOptions.JitterNoise: value 7 is invalid: ", e.Message);
        Assert.EndsWith("(router plugin 'linear')", e.Message);
    }

    [Fact]
    public void AModelBindsTheInnerOptionsOnce_NotOncePerLayer_AndEveryInnerRouterGetsThatInstance()
    {
        var counting = new CountingRouterFactory();
        var catalog = Catalog().AddRouter("counting", counting);
        var config = MultiHead("counting", new JsonObject { ["Scale"] = 3 }) with { NumHiddenLayers = 3 };
        var model = new TransformerLM(config, catalog, new Generator(0));

        Assert.Equal(3, model.MoeLayers.Count);
        Assert.Equal(1, counting.OptionsBound);
        Assert.Equal(3, counting.Received.Count);
        var bound = Assert.IsType<MultiHeadRouterOptions>(model.Plan.RouterOptions).InnerOptions!.Value;
        Assert.All(counting.Received, o => Assert.Same(bound, o));
        Assert.Equal(3, Assert.IsType<CountingOptions>(bound).Scale);

        // Reloading binds the checkpoint's options once more (once per model).
        using var scratch = new ScratchFolder();
        CheckpointStore.Save(scratch.Sub("m"), model.ToCheckpoint());
        _ = TransformerLM.FromCheckpoint(CheckpointStore.Load(scratch.Sub("m")), catalog);
        Assert.Equal(2, counting.OptionsBound);
    }

    [Fact]
    public void NexusToInference_BindsTheLinearFormOnce_AndSaveLoadGivesTheSameModel()
    {
        var config = TransformerLMTests.Tiny with { Moe = new MoeConfig { NumExperts = 3, TopK = 1, Router = "nexus", Domains = ["a", "b", "c"] } };
        AssertInferenceRoundTrip(config, plan =>
        {
            Assert.Equal("linear", plan.Config.Moe!.Router);
            Assert.IsType<LinearRouterOptions>(plan.RouterOptions);
        });
    }

    [Fact]
    public void MultiHeadNexusToInference_BindsTheInnerLinearForm_AndSaveLoadGivesTheSameModel()
    {
        var config = MultiHead("nexus", new JsonObject { ["InitStd"] = 1 }, topK: 1);
        AssertInferenceRoundTrip(config, plan =>
        {
            Assert.Equal("multi-head", plan.Config.Moe!.Router);
            var options = Assert.IsType<MultiHeadRouterOptions>(plan.RouterOptions);
            Assert.Equal("linear", options.Inner);
            Assert.IsType<LinearRouterOptions>(options.InnerOptions!.Value);
            Assert.Equal("linear", plan.Config.Moe.RouterOptions!["Inner"]!.GetValue<string>());
        });
    }

    [Fact]
    public void ToInference_AFormWhoseOptionsItsPluginRejects_NamesBothRoutersAndTheKey()
    {
        var catalog = Catalog().AddRouter("bad-form", new BadFormRouterFactory());
        var config = TransformerLMTests.Tiny with { Moe = new MoeConfig { NumExperts = 3, TopK = 2, Router = "bad-form" } };
        var model = new TransformerLM(config, catalog, new Generator(0));
        var e = Assert.Throws<InvalidOperationException>(model.ToInference);
        Assert.StartsWith(
            "ToInference: router plugin 'bad-form' gives the inference form 'linear' with options {\"Normalise\":\"x\"} that router plugin 'linear' rejects:\n" +
            "Moe:RouterOptions:Normalise: unknown option of router plugin 'linear'; known options: ", e.Message);
    }

    private static ModelConfig MultiHead(string inner, JsonObject? innerOptions, int topK = 2) => TransformerLMTests.Tiny with
    {
        Moe = new MoeConfig
        {
            NumExperts = 3, TopK = topK, Router = "multi-head", Domains = ["a", "b", "c"],
            RouterOptions = new JsonObject { ["Heads"] = 2, ["Inner"] = inner, ["InnerOptions"] = innerOptions },
        },
    };

    // ToInference -> the plan is typed -> save -> load: same config JSON, same plan types, same logits.
    private static void AssertInferenceRoundTrip(ModelConfig config, Action<ModelPlan> check)
    {
        var catalog = Catalog();
        var embeddings = randn([3, 4], generator: new Generator(2));
        var model = new TransformerLM(config, catalog, new Generator(5), ScalarType.Float32, embeddings);
        model.eval();
        var ids = randint(0, 32, [2, 7], generator: new Generator(3));
        var before = model.forward(ids).Logits.data<float>().ToArray();

        model.ToInference();
        check(model.Plan);
        Assert.Equal(before, model.forward(ids).Logits.data<float>().ToArray());

        using var scratch = new ScratchFolder();
        CheckpointStore.Save(scratch.Sub("m"), model.ToCheckpoint());
        var reloaded = TransformerLM.FromCheckpoint(CheckpointStore.Load(scratch.Sub("m")), catalog);
        reloaded.eval();
        check(reloaded.Plan);
        Assert.Equal(model.Config.Moe!.RouterOptions?.ToJsonString(), reloaded.Config.Moe!.RouterOptions?.ToJsonString());
        Assert.Equal(PluginOptionsJson.From(model.Plan.RouterOptions)!.ToJsonString(), PluginOptionsJson.From(reloaded.Plan.RouterOptions)!.ToJsonString());
        Assert.Equal(before, reloaded.forward(ids).Logits.data<float>().ToArray());
    }

    /// <summary>Options that count how often they are bound (one instance per bind).</summary>
    private sealed class CountingOptions
    {
        public CountingOptions() => Bound?.Invoke();

        [ThreadStatic] internal static Action? Bound;

        public int Scale { get; set; } = 1;
    }

    /// <summary>A linear router whose options count their binds and whose factory records the instance each router receives.</summary>
    private sealed class CountingRouterFactory : IRouterFactory
    {
        public CountingRouterFactory() => CountingOptions.Bound = () => OptionsBound++;

        public int OptionsBound { get; private set; }

        public List<object?> Received { get; } = [];

        public Type? OptionsType => typeof(CountingOptions);

        public RouterModule Create(RouterSpec spec)
        {
            Received.Add(spec.Options);
            return new LinearRouter(spec, new LinearRouterOptions());
        }
    }

    /// <summary>A router whose inference form names the linear plugin with an option it does not have.</summary>
    private sealed class BadFormRouterFactory : IRouterFactory
    {
        public Type? OptionsType => null;

        public RouterModule Create(RouterSpec spec) => new BadFormRouter(spec);

        private sealed class BadFormRouter(RouterSpec spec) : RouterModule
        {
            private readonly LinearRouter _linear = new(spec, new LinearRouterOptions());

            public override int NumExperts => _linear.NumExperts;

            public override int TopK => _linear.TopK;

            public override RoutingResult Route(Tensor tokens, RoutingContext context) => _linear.Route(tokens, context);

            public override void AddExperts(ExpertExtension extension) => _linear.AddExperts(extension);

            public override RouterInferenceForm ToInference() =>
                new(_linear) { Plugin = "linear", Options = new JsonObject { ["Normalise"] = "x" } };
        }
    }
}
