// The nexus router on its own: where domain embeddings come from (and the error when they come from nowhere), its
// parameters (the hypernetwork only), E recomputed at every training forward and cached without gradients until an
// optimizer step or a state load writes the hypernetwork, and the gate = unrenormalised probability.
using System.Text.Json;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public sealed class NexusRouterTests : IDisposable
{
    private static readonly double[][] Rows = [[1, 0, 2], [0, 1, -1], [-1, 2, 0], [0.5, -0.5, 1]];
    private readonly string _folder = Directory.CreateTempSubdirectory("nexus-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static NexusRouter Router(NexusRouterOptions options, int n = 4, int k = 1, Tensor? fromRecipe = null) =>
        (NexusRouter)new NexusRouterFactory().Create(new RouterSpec(8, n, k)
        {
            Options = options,
            DomainEmbeddings = fromRecipe,
            Generator = new Generator(61),
            DType = ScalarType.Float64,
        });

    [Fact]
    public void Create_WithoutDomainEmbeddings_FailsSayingWhereTheyCanComeFrom()
    {
        var e = Assert.Throws<ArgumentException>(() => Router(new NexusRouterOptions()));
        Assert.Contains("router 'nexus': no domain embeddings (one per routed expert, 4 here)", e.Message);
        Assert.Contains("Model:Moe:RouterOptions:DomainEmbeddings", e.Message);
        Assert.Contains("Model:Moe:RouterOptions:DomainEmbeddingsFile", e.Message);
        Assert.Contains("embed stage", e.Message);
    }

    [Fact]
    public void Create_WrongNumberOfRows_SaysHowManyAreNeeded()
    {
        var e = Assert.Throws<ArgumentException>(() => Router(new NexusRouterOptions { DomainEmbeddings = Rows[..3] }));
        Assert.Contains("the domain embeddings from RouterOptions:DomainEmbeddings have shape [3, 3], but the layer has 4 routed experts", e.Message);
    }

    [Fact]
    public void DomainEmbeddings_FromJsonAndSafetensorsFiles_EqualTheInlineValues()
    {
        var json = Path.Combine(_folder, "d.json");
        File.WriteAllText(json, JsonSerializer.Serialize(Rows));
        var st = Path.Combine(_folder, "d.safetensors");
        SafeTensors.Save(st, new Dictionary<string, Tensor> { ["domains"] = tensor(Rows.SelectMany(r => r).ToArray(), [4, 3]) });
        var inline = Router(new NexusRouterOptions { DomainEmbeddings = Rows }).DomainEmbeddings.data<double>();
        Assert.Equal(inline, Router(new NexusRouterOptions { DomainEmbeddingsFile = json }).DomainEmbeddings.data<double>());
        Assert.Equal(inline, Router(new NexusRouterOptions { DomainEmbeddingsFile = st }).DomainEmbeddings.data<double>());
        var missing = Assert.Throws<ArgumentException>(() => Router(new NexusRouterOptions { DomainEmbeddingsFile = Path.Combine(_folder, "none.json") }));
        Assert.Contains($"domain-embeddings file '{Path.Combine(_folder, "none.json")}' does not exist", missing.Message);
    }

    [Fact]
    public void DomainEmbeddings_FromTheRecipe_TakePrecedenceOverTheOptions()
    {
        var recipe = randn([4, 5], ScalarType.Float64, new Generator(62));
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows }, fromRecipe: recipe);
        Assert.Equal(recipe.data<double>(), router.DomainEmbeddings.data<double>());
        Assert.Equal([16L, 5], router.W1.weight.shape); // m -> 2h with h = d = 8 by default
    }

    [Fact]
    public void Parameters_AreTheHypernetworkOnly_AndTheDomainEmbeddingsAreNotState()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, HiddenSize = 6 });
        Assert.Equal(["w1.weight", "w2.weight"], router.named_parameters().Select(p => p.name));
        Assert.Equal(["w1.weight", "w2.weight"], router.state_dict().Keys);
        Assert.Equal([12L, 3], router.W1.weight.shape);
        Assert.Equal([8L, 6], router.W2.weight.shape);
    }

    [Fact]
    public void Route_RecomputesEFromTheHypernetworkAtEveryForward()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 1 });
        var x = randn([6, 8], ScalarType.Float64, new Generator(63));
        var training = new RoutingContext { Training = true };
        var first = router.Route(x, training).Logits!.data<double>();
        using (no_grad()) router.W2.weight.copy_(router.W2.weight * 2);
        var second = router.Route(x, training).Logits!.data<double>();
        RouterKit.Close([.. first.Select(v => 2 * v)], second, 1e-12, "logits after doubling W2");
    }

    [Fact]
    public void Route_GateIsTheChosenProbability_NotRenormalised()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 1 }, k: 2);
        var r = router.Route(randn([6, 8], ScalarType.Float64, new Generator(64)), RoutingContext.Evaluation);
        RouterKit.Close(r.Probabilities!.gather(1, r.Indices).data<double>(), r.Weights.data<double>(), 0, "gates");
        Assert.True(r.Weights.sum(-1).max().ToDouble() < 1);
    }

    private static Tensor Fresh(NexusRouter router)
    {
        using var noGrad = no_grad();
        var a = router.W1.forward(router.DomainEmbeddings);
        long h = a.size(1) / 2;
        return router.W2.forward(nn.functional.silu(a.narrow(1, 0, h)) * a.narrow(1, h, h));
    }

    [Fact]
    public void ExpertEmbeddings_WithGradients_AreRecomputedInTheGraph_EveryCall()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 1 });
        var a = router.ExpertEmbeddings();
        var b = router.ExpertEmbeddings();
        Assert.True(a.requires_grad);
        Assert.NotSame(a, b);
        a.sum().backward();
        Assert.NotNull(router.W1.weight.grad);
    }

    [Fact]
    public void ExpertEmbeddings_WithoutGradients_AreComputedOnce_AndRecomputedAfterAnOptimizerStep()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 1 });
        var opt = new optim.AdamW(router.parameters(), lr: 0.1);
        Tensor cached;
        using (no_grad())
        {
            cached = router.ExpertEmbeddings();
            Assert.False(cached.requires_grad);
            Assert.Same(cached, router.ExpertEmbeddings());
        }
        var before = cached.data<double>().ToArray();
        RouterKit.Close(Fresh(router).data<double>(), before, 0, "cached E");

        var x = randn([6, 8], ScalarType.Float64, new Generator(65));
        router.Route(x, new RoutingContext { Training = true }).Logits!.pow(2).sum().backward();
        opt.step(); // writes W1 and W2 in place: their versions move

        Tensor after;
        using (no_grad()) after = router.ExpertEmbeddings();
        Assert.NotSame(cached, after);
        RouterKit.Close(Fresh(router).data<double>(), after.data<double>(), 0, "E after the step");
        Assert.True(after.sub(tensor(before, [4, 8])).abs().max().ToDouble() > 1e-3, "the step changed E");
        using (no_grad()) Assert.Same(after, router.ExpertEmbeddings());
    }

    [Fact]
    public void ExpertEmbeddings_Cache_IsInvalidatedByAStateLoad_AndSurvivesTheDisposeScopeItWasMadeIn()
    {
        var router = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 1 });
        Tensor cached;
        using (NewDisposeScope())
        using (no_grad())
            cached = router.ExpertEmbeddings();
        var values = cached.data<double>().ToArray(); // still readable: the scope did not release it
        RouterKit.Close(Fresh(router).data<double>(), values, 0, "E after its scope ended");

        var other = Router(new NexusRouterOptions { DomainEmbeddings = Rows, InitStd = 0.5 });
        other.W1.weight.requires_grad = false; // frozen hypernetwork: cached even while gradients are recorded
        other.W2.weight.requires_grad = false;
        var frozen = other.ExpertEmbeddings();
        Assert.Same(frozen, other.ExpertEmbeddings());
        router.load_state_dict(other.state_dict());
        using (no_grad())
        {
            var reloaded = router.ExpertEmbeddings();
            Assert.NotSame(cached, reloaded);
            RouterKit.Close(frozen.data<double>(), reloaded.data<double>(), 1e-15, "E after load_state_dict");
        }
    }
}
