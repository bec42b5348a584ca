// The xmoe router on its own: parameter shapes, cosine scores bounded by 1/tau in the paper form, torchscale's code
// form, and the learned temperature.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class XMoeRouterTests
{
    private static readonly Tensor X = randn([9, 12], ScalarType.Float64, new Generator(81)) * 3;

    private static XMoeRouter Router(string form = XMoeRouterOptions.Paper) =>
        (XMoeRouter)new XMoeRouterFactory().Create(new RouterSpec(12, 6, 2)
        {
            Options = new XMoeRouterOptions { Form = form },
            Generator = new Generator(82),
            DType = ScalarType.Float64,
        });

    [Fact]
    public void Parameters_AreTheReductionTheExpertEmbeddingsAndTheTemperature()
    {
        var router = Router();
        Assert.Equal(["wg", "temperature", "wg_reduction.weight"], router.named_parameters().Select(p => p.name));
        Assert.Equal([16L, 12], router.WReduction.weight.shape);  // r = 16 by default
        Assert.Equal([6L, 16], router.wg.shape);
        Assert.Equal([0.3], router.temperature!.data<double>());
        Assert.Null(Router(XMoeRouterOptions.Code).temperature);
    }

    [Fact]
    public void PaperForm_ScoresAreCosinesOverTheTemperature()
    {
        var router = Router();
        var r = router.Route(X, RoutingContext.Evaluation);
        Assert.True(r.Logits!.abs().max().ToDouble() <= 1 / 0.3 + 1e-12);
        var h = nn.functional.linear(X, router.WReduction.weight);
        var cos = nn.functional.linear(h / h.square().sum(-1, keepdim: true).sqrt(), router.wg / router.wg.square().sum(-1, keepdim: true).sqrt());
        RouterKit.Close((cos / 0.3).data<double>(), r.Logits.data<double>(), 1e-12, "scores");
    }

    [Fact]
    public void CodeForm_ScoresAreTheProjectedTokenDotTheNormalisedExpertEmbedding()
    {
        var router = Router(XMoeRouterOptions.Code);
        var r = router.Route(X, RoutingContext.Evaluation);
        var h = nn.functional.linear(X, router.WReduction.weight);
        RouterKit.Close(nn.functional.linear(h, router.wg / router.wg.square().sum(-1, keepdim: true).sqrt()).data<double>(), r.Logits!.data<double>(), 1e-12, "scores");
    }

    [Fact]
    public void Temperature_IsLearned()
    {
        var router = Router();
        var r = router.Route(X, RoutingContext.Evaluation);
        r.Weights.pow(2).sum().backward();
        Assert.NotEqual(0, router.temperature!.grad!.ToDouble());
    }

    [Fact]
    public void AddExperts_KeepsTheOldEmbeddingsAndAppendsNewOnes()
    {
        var router = Router();
        var old = router.wg.detach().clone();
        router.AddExperts(new ExpertExtension(2) { Generator = new Generator(83) });
        Assert.Equal([8L, 16], router.wg.shape);
        Assert.Equal(old.data<double>(), router.wg.narrow(0, 0, 6).data<double>());
        Assert.Equal(8, router.Route(X, RoutingContext.Evaluation).Probabilities!.size(1));
    }
}
