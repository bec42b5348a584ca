// Dropless dispatch against a naive per-token loop (float64, several shapes, random routing incl. idle experts).
using PluginMoE.Abstractions.Experts;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class DroplessDispatchTests
{
    [Theory]
    [InlineData(1, 4, 1, 1)]
    [InlineData(9, 6, 4, 2)]
    [InlineData(17, 5, 8, 3)]
    [InlineData(3, 4, 6, 1)] // more experts than tokens: some experts are idle
    public void Forward_RandomRouting_EqualsNaivePerTokenLoop(int tokens, int dim, int experts, int k)
    {
        var g = new Generator(tokens * 100 + experts);
        var list = Enumerable.Range(0, experts)
            .Select(_ => new GeluExpertFactory().Create(new ExpertSpec(dim, 5) { Generator = g, DType = ScalarType.Float64, Options = new GeluOptions { InitStd = 0.5 } }))
            .ToList();
        var x = randn([tokens, dim], ScalarType.Float64, g);
        var indices = randint(0, experts, [tokens, k], generator: g); // repeats allowed: dispatch must not care
        var weights = rand([tokens, k], ScalarType.Float64, g);

        var actual = DroplessDispatch.forward(x, indices, weights, list);

        var expected = zeros([tokens, dim], ScalarType.Float64);
        var rows = new List<Tensor>();
        for (int t = 0; t < tokens; t++)
        {
            var row = zeros([1, dim], ScalarType.Float64);
            for (int j = 0; j < k; j++)
            {
                var e = list[(int)indices[t][j].ToInt64()];
                row = row + e.forward(x.narrow(0, t, 1)) * weights[t][j].ToDouble();
            }
            rows.Add(row);
        }
        expected = cat([.. rows], 0);
        Assert.True((actual - expected).abs().max().ToDouble() < 1e-12);
    }

    [Fact]
    public void Forward_ExpertIdOutOfRange_SaysHowManyExpertsThereAre()
    {
        var list = new List<IExpert> { new SwiGluExpertFactory().Create(new ExpertSpec(4, 4)) };
        var e = Assert.Throws<ArgumentException>(() => DroplessDispatch.forward(zeros(2, 4), tensor(new long[] { 0, 3 }, [2, 1]), ones(2, 1), list));
        Assert.Contains("expert id 3, but the layer has 1 experts", e.Message);
    }
}
