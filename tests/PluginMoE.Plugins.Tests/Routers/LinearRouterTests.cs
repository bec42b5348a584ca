// The linear router: both normalisations, its probabilities, jitter only in training, and reset/expand extension.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class LinearRouterTests
{
    private static LinearRouter Router(LinearRouterOptions? options = null, int n = 5, int k = 2, long seed = 1) =>
        (LinearRouter)new LinearRouterFactory().Create(new RouterSpec(6, n, k)
        {
            Options = options ?? new LinearRouterOptions { InitStd = 1 },
            Generator = new Generator(seed),
            DType = ScalarType.Float64,
        });

    private static Tensor Tokens(long seed) => randn([7, 6], ScalarType.Float64, new Generator(seed));

    private static void Close(Tensor expected, Tensor actual) => Assert.True((expected - actual).abs().max().ToDouble() < 1e-12);

    [Fact]
    public void Route_TopKSoftmax_EqualsMixtralSoftmaxThenRenormalise()
    {
        var router = Router();
        var r = router.Route(Tokens(2), RoutingContext.Evaluation);
        var probs = nn.functional.linear(Tokens(2), router.weight).softmax(-1);  // Mixtral: softmax over all n ...
        var (top, index) = probs.topk(2);
        Close(top / top.sum(-1, keepdim: true), r.Weights);                      // ... then renormalise the top k
        Assert.Equal(index.data<long>(), r.Indices.data<long>());
        Close(probs, r.Probabilities!);
        Close(ones([7], ScalarType.Float64), r.Weights.sum(-1));
    }

    [Fact]
    public void Route_SoftmaxTopK_KeepsTheFullSoftmaxProbabilitiesUnnormalised()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, Normalize = LinearRouterOptions.SoftmaxTopK });
        var r = router.Route(Tokens(3), RoutingContext.Evaluation);
        Close(r.Probabilities!.gather(1, r.Indices), r.Weights);
        Assert.True(r.Weights.sum(-1).max().ToDouble() < 1);
    }

    [Fact]
    public void Route_JitterNoise_AppliesInTrainingOnly_AndDrawsFromTheContextGenerator()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, JitterNoise = 0.5 });
        var x = Tokens(4);
        var clean = nn.functional.linear(x, router.weight);
        var generator = new Generator(5);
        var noisy = router.Route(x, new RoutingContext { Training = true, Generator = generator }).Logits!;
        Assert.True((noisy - clean).abs().max().ToDouble() > 1e-6);
        Assert.NotEqual(0UL, generator.Offset);
        Close(noisy, router.Route(x, new RoutingContext { Training = true, Generator = new Generator(5) }).Logits!); // same draws
        Close(clean, router.Route(x, RoutingContext.Evaluation).Logits!);
    }

    [Fact]
    public void Route_JitterInTrainingWithoutAGenerator_SaysWhereOneComesFrom()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, JitterNoise = 0.5 });
        var e = Assert.Throws<InvalidOperationException>(() => router.Route(Tokens(4), new RoutingContext { Training = true }));
        Assert.Equal(
            "router 'linear' needs a random source for jitter noise in training, but RoutingContext.Generator is null; " +
            "pass one (the Trainer passes its routing generator), or switch the model to eval()", e.Message);
    }

    [Fact]
    public void AddExperts_Reset_RedrawsEveryRow()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, ExtendMode = "reset" });
        var before = router.weight.data<double>();
        router.AddExperts(new ExpertExtension(1) { Generator = new Generator(99) });
        Assert.Equal([6L, 6], router.weight.shape);
        Assert.Equal(6, router.NumExperts);
        var after = router.weight.narrow(0, 0, 5).data<double>();
        Assert.All(Enumerable.Range(0, before.Length), i => Assert.NotEqual(before[i], after[i]));
        Assert.Equal(6, router.Route(Tokens(5), RoutingContext.Evaluation).Probabilities!.size(1));
    }

    [Fact]
    public void AddExperts_ExpandMean_KeepsOldRowsAndAppendsTheirMean()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, ExtendMode = "expand", ExpandInit = "mean" });
        var old = router.weight.detach().clone();
        router.AddExperts(new ExpertExtension(2));
        Assert.Equal(old.data<double>(), router.weight.narrow(0, 0, 5).data<double>());
        Close(old.mean(0).expand(2, 6), router.weight.narrow(0, 5, 2));
        Assert.True(router.weight.requires_grad);
        Assert.Same(router.weight, router.parameters().Single());
        Assert.Equal([7L, 6], router.state_dict()["weight"].shape);
    }

    [Fact]
    public void AddExperts_ExpandRandom_KeepsOldRowsAndDrawsNewOnes()
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, ExtendMode = "expand", ExpandInit = "random" });
        var old = router.weight.detach().clone();
        router.AddExperts(new ExpertExtension(1) { Generator = new Generator(5) });
        Assert.Equal(old.data<double>(), router.weight.narrow(0, 0, 5).data<double>());
        Assert.NotEqual(old.mean(0).data<double>(), router.weight[5].data<double>());
    }

    [Fact]
    public void ToInference_IsTheSameRouterUnderItsConfiguredPlugin()
    {
        var router = Router();
        var form = router.ToInference();
        Assert.Same(router, form.Router);
        Assert.True(form.IsUnchanged);
    }

    [Theory]
    [InlineData(LinearRouterOptions.TopKSoftmax, true)]
    [InlineData(LinearRouterOptions.SoftmaxTopK, false)]
    public void ToHuggingFace_IsItsWeight_RenormalisedUnderTopKSoftmaxOnly(string normalize, bool renormalize)
    {
        var router = Router(new LinearRouterOptions { InitStd = 1, Normalize = normalize, JitterNoise = 0.1 });
        var gate = router.ToHuggingFace()!;
        Assert.Same(router.weight, gate.Weight);
        Assert.Equal(renormalize, gate.RenormalizeTopK);
    }

    [Fact]
    public void Create_TopKAboveExpertCount_SaysWhatIsAllowed()
    {
        var e = Assert.Throws<ArgumentException>(() => Router(n: 2, k: 3));
        Assert.Contains("1 <= TopK <= NumExperts; got ModelDim 6, NumExperts 2, TopK 3", e.Message);
    }
}
