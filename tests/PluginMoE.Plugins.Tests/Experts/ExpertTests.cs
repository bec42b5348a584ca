// swiglu, gelu and null experts: their formulas, parameter layouts (names and shapes as in the state dict), MACs, init,
// width multipliers and the Hugging Face MLP form.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Experts;

public class ExpertTests
{
    private static readonly ExpertSpec Spec = new(6, 10) { Generator = new Generator(3), DType = ScalarType.Float64 };

    private static void Close(Tensor expected, Tensor actual) => Assert.True((expected - actual).abs().max().ToDouble() < 1e-12);

    [Fact]
    public void SwiGlu_Forward_IsDownOfSiluGateTimesUp()
    {
        var e = (SwiGluExpert)new SwiGluExpertFactory().Create(Spec);
        var x = randn([4, 6], ScalarType.Float64, new Generator(4));
        var gate = x.matmul(e.gate_proj.weight.t());
        var expected = (gate * gate.sigmoid() * x.matmul(e.up_proj.weight.t())).matmul(e.down_proj.weight.t());
        Close(expected, e.forward(x));
        Assert.Equal(3L * 6 * 10, e.MacsPerToken);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_Forward_IsDownOfGeluUp(string approximate)
    {
        var e = (GeluExpert)new GeluExpertFactory().Create(Spec with { Options = new GeluOptions { Approximate = approximate } });
        var x = randn([4, 6], ScalarType.Float64, new Generator(5));
        var u = x.matmul(e.up_proj.weight.t());
        var g = approximate == "tanh"
            ? 0.5 * u * (1 + (Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)).tanh())
            : 0.5 * u * (1 + (u / Math.Sqrt(2)).erf());
        Close(g.matmul(e.down_proj.weight.t()), e.forward(x));
        Assert.Equal(2L * 6 * 10, e.MacsPerToken);
    }

    public static TheoryData<IExpertFactory, object?> Factories => new()
    {
        { new SwiGluExpertFactory(), null },
        { new GeluExpertFactory(), null },
        { new NullExpertFactory(), null },
        { new SwiGluExpertFactory(), new SwiGluOptions { WidthMultiplier = 0.5 } },
        { new GeluExpertFactory(), new GeluOptions { WidthMultiplier = 1.75 } },
    };

    [Theory]
    [MemberData(nameof(Factories))]
    public void ParameterLayout_MatchesTheStateDict(IExpertFactory factory, object? options)
    {
        var spec = Spec with { Options = options };
        var state = factory.Create(spec).state_dict();
        var layout = factory.ParameterLayout(spec);
        Assert.Equal(layout.Select(p => p.Name), state.Keys);
        Assert.All(layout, p => Assert.Equal(p.Shape, state[p.Name].shape));
    }

    [Fact]
    public void WidthMultiplier_ScalesTheInnerWidthRounded_AndTheMacs()
    {
        var swiglu = (SwiGluExpert)new SwiGluExpertFactory().Create(Spec with { Options = new SwiGluOptions { WidthMultiplier = 0.25 } });
        Assert.Equal([3L, 6], swiglu.gate_proj.weight.shape);                 // round(10 * 0.25) = 3 (2.5 rounds away from zero)
        Assert.Equal(3L * 6 * 3, swiglu.MacsPerToken);
        Assert.Equal(new HuggingFaceMlp("silu", 3), swiglu.ToHuggingFace());
        var gelu = (GeluExpert)new GeluExpertFactory().Create(Spec with { Options = new GeluOptions { WidthMultiplier = 2 } });
        Assert.Equal([20L, 6], gelu.up_proj.weight.shape);
        Assert.Equal(2L * 6 * 20, gelu.MacsPerToken);
    }

    [Fact]
    public void WidthMultiplier_RoundingToZero_SaysWhy()
    {
        var e = Assert.Throws<ArgumentException>(() => new SwiGluExpertFactory().Create(Spec with { Options = new SwiGluOptions { WidthMultiplier = 0.01 } }));
        Assert.StartsWith("expert 'swiglu': HiddenDim 10 x WidthMultiplier 0.01 gives an inner width of 0; it must be at least 1", e.Message);
    }

    [Fact]
    public void Null_OutputsZeros_HasNoParameters_AndCostsNothing()
    {
        var e = new NullExpertFactory().Create(Spec);
        var x = randn([4, 6], ScalarType.Float64, new Generator(6)).requires_grad_();
        var y = e.forward(x);
        Assert.Equal(x.shape, y.shape);
        Assert.Equal(ScalarType.Float64, y.dtype);
        Assert.All(y.data<double>(), v => Assert.Equal(0.0, v));
        Assert.Empty(e.parameters());
        Assert.Equal(0, e.MacsPerToken);
        Assert.IsNotAssignableFrom<IHuggingFaceExpert>(e);
    }

    [Fact]
    public void Create_SameGenerator_GivesSameWeightsDrawnFromNormalWithTheConfiguredStd()
    {
        var a = (SwiGluExpert)new SwiGluExpertFactory().Create(new ExpertSpec(64, 256) { Generator = new Generator(7) });
        var b = (SwiGluExpert)new SwiGluExpertFactory().Create(new ExpertSpec(64, 256) { Generator = new Generator(7) });
        Assert.Equal(a.down_proj.weight.data<float>(), b.down_proj.weight.data<float>());
        Assert.InRange(a.gate_proj.weight.std().ToDouble(), 0.019, 0.021);
    }

    [Fact]
    public void Create_WrongOptionsType_NamesBothTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => new SwiGluExpertFactory().Create(Spec with { Options = new GeluOptions() }));
        Assert.Contains("options are GeluOptions, expected SwiGluOptions", e.Message);
    }
}
