// The linear router's variants: Switch top-1, soft routing, sample top-1 (Gumbel-softmax, annealed temperature,
// noise from the trainer's generator), their TopK requirements, and the Hugging Face gate each one describes.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class LinearRouterVariantTests
{
    private static readonly Tensor X = randn([7, 6], ScalarType.Float64, new Generator(71));

    private static LinearRouter Router(string variant, int k, int n = 5, string normalize = LinearRouterOptions.TopKSoftmax) =>
        (LinearRouter)new LinearRouterFactory().Create(new RouterSpec(6, n, k)
        {
            Options = new LinearRouterOptions { InitStd = 1, Variant = variant, Normalize = normalize },
            Generator = new Generator(72),
            DType = ScalarType.Float64,
        });

    private static RoutingContext Training(long seed, long step = 0) => new() { Training = true, Step = step, Generator = new Generator(seed) };

    [Fact]
    public void Switch_RoutesToTheArgmax_WithItsSoftmaxProbabilityAsGate()
    {
        var router = Router("switch", 1);
        var r = router.Route(X, RoutingContext.Evaluation);
        var probs = nn.functional.linear(X, router.weight).softmax(-1);
        Assert.Equal(probs.argmax(-1).data<long>(), r.Indices.reshape(-1).data<long>());
        RouterKit.Close(probs.max(-1).values.data<double>(), r.Weights.reshape(-1).data<double>(), 1e-15, "gates");
    }

    [Fact]
    public void Soft_SendsEveryTokenToEveryExpert_WithTheFullSoftmax()
    {
        var router = Router("soft", 5);
        var r = router.Route(X, RoutingContext.Evaluation);
        Assert.Equal(Enumerable.Range(0, 7).SelectMany(_ => Enumerable.Range(0, 5).Select(j => (long)j)), r.Indices.data<long>());
        RouterKit.Close(r.Probabilities!.data<double>(), r.Weights.data<double>(), 0, "gates");
    }

    [Theory]
    [InlineData("switch", 2, "Variant 'switch' sends each token to one expert, but TopK is 2; set Model:Moe:TopK to 1")]
    [InlineData("sample-top1", 3, "Variant 'sample-top1' sends each token to one expert, but TopK is 3; set Model:Moe:TopK to 1")]
    [InlineData("soft", 2, "Variant 'soft' sends each token to all 5 experts, but TopK is 2; set Model:Moe:TopK to 5")]
    public void Create_VariantWithTheWrongTopK_SaysWhatToSet(string variant, int k, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Router(variant, k));
        Assert.Contains("router 'linear': " + message, e.Message);
    }

    [Fact]
    public void SampleTop1_Temperature_AnnealsFromOneToTheFloor()
    {
        var router = Router("sample-top1", 1);
        Assert.Equal(1.0, router.GumbelTemperature(0));
        Assert.Equal(Math.Exp(-0.1), router.GumbelTemperature(1000), 15);
        Assert.Equal(0.5, router.GumbelTemperature(7000));
        Assert.Equal(0.5, router.GumbelTemperature(1_000_000));
    }

    [Fact]
    public void SampleTop1_InTraining_SamplesFromTheContextGenerator()
    {
        var router = Router("sample-top1", 1);
        var big = randn([400, 6], ScalarType.Float64, new Generator(73));
        var a = router.Route(big, Training(1)).Indices.data<long>();
        Assert.Equal(a, router.Route(big, Training(1)).Indices.data<long>());      // the same draws from the same generator state
        Assert.NotEqual(a, router.Route(big, Training(2)).Indices.data<long>());
        var argmax = nn.functional.linear(big, router.weight).argmax(-1).data<long>();
        Assert.NotEqual(argmax, a);                                                 // noise changes some choices ...
        Assert.True(a.Zip(argmax).Count(p => p.First == p.Second) > 200);           // ... but most follow the logits
    }

    [Fact]
    public void SampleTop1_InTraining_GateIsTheGumbelSoftmaxAtTheStepsTemperature_AndCarriesAGradient()
    {
        var router = Router("sample-top1", 1);
        var r = router.Route(X, Training(5, step: 1000));
        var logits = nn.functional.linear(X, router.weight).detach();
        var u = rand(logits.shape, logits.dtype, new Generator(5));
        var scores = logits - (-(u.clamp(1e-20, 1 - 1e-7)).log()).log();
        Assert.Equal(scores.argmax(-1).data<long>(), r.Indices.reshape(-1).data<long>());
        RouterKit.Close((scores / Math.Exp(-0.1)).softmax(-1).max(-1).values.data<double>(), r.Weights.reshape(-1).data<double>(), 1e-12, "gates");
        r.Weights.sum().backward();
        Assert.True(router.weight.grad!.abs().sum().ToDouble() > 0);
    }

    [Fact]
    public void SampleTop1_InEvaluation_IsTheArgmaxWithTheFloorTemperatureGate()
    {
        var router = Router("sample-top1", 1);
        var r = router.Route(X, RoutingContext.Evaluation);
        var logits = nn.functional.linear(X, router.weight);
        Assert.Equal(logits.argmax(-1).data<long>(), r.Indices.reshape(-1).data<long>());
        RouterKit.Close((logits / 0.5).softmax(-1).max(-1).values.data<double>(), r.Weights.reshape(-1).data<double>(), 1e-15, "gates");
    }

    [Fact]
    public void SampleTop1_InTrainingWithoutAGenerator_SaysWhatToPass()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Router("sample-top1", 1).Route(X, new RoutingContext { Training = true }));
        Assert.Contains("router 'linear' needs a random source for Gumbel noise of sample-top1 in training", e.Message);
    }

    [Fact]
    public void Jitter_DrawsFromTheContextGenerator_SoTheSameStateGivesTheSameNoise()
    {
        var router = (LinearRouter)new LinearRouterFactory().Create(new RouterSpec(6, 5, 2)
        {
            Options = new LinearRouterOptions { InitStd = 1, JitterNoise = 0.3 },
            DType = ScalarType.Float64,
        });
        var a = router.Route(X, Training(8)).Logits!.data<double>();
        Assert.Equal(a, router.Route(X, Training(8)).Logits!.data<double>());
        Assert.NotEqual(a, router.Route(X, Training(9)).Logits!.data<double>());
        Assert.Equal(nn.functional.linear(X, router.weight).data<double>(), router.Route(X, RoutingContext.Evaluation).Logits!.data<double>());
    }

    [Theory]
    [InlineData("top-k", 2, LinearRouterOptions.TopKSoftmax, true)]
    [InlineData("top-k", 2, LinearRouterOptions.SoftmaxTopKRenormalise, true)]
    [InlineData("top-k", 2, LinearRouterOptions.SoftmaxTopK, false)]
    [InlineData("switch", 1, LinearRouterOptions.TopKSoftmax, false)]
    [InlineData("soft", 5, LinearRouterOptions.TopKSoftmax, true)]
    public void ToHuggingFace_DescribesTheGateOfEachVariant(string variant, int k, string normalize, bool renormalise)
    {
        var router = Router(variant, k, normalize: normalize);
        var gate = router.ToHuggingFace();
        Assert.NotNull(gate);
        Assert.Same(router.weight, gate.Weight);
        Assert.Equal(renormalise, gate.RenormalizeTopK);
    }

    [Fact]
    public void ToHuggingFace_SampleTop1_HasNoHuggingFaceGate() => Assert.Null(Router("sample-top1", 1).ToHuggingFace());
}
