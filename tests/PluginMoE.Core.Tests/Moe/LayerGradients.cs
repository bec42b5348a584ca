// One forward+backward of an MoE layer collected as named tensors (output, input gradient, every parameter's gradient),
// and the element-wise comparison of two such runs that the equivalence tests of the MoE layer's paths share.
using PluginMoE.Core.Moe;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

internal static class LayerGradients
{
    /// <summary>Output, the input's gradient (and the expert counts when asked), then every parameter's gradient, for one fwd+bwd of sum(output * w) + aux.</summary>
    public static List<(string Name, Tensor Value)> Run(MoeLayer layer, Tensor x, Tensor w, bool withCounts = false)
    {
        layer.zero_grad();
        x.grad = null;
        var r = layer.forward(x);
        ((r.Output * w).sum() + r.AuxLoss).backward();
        var result = new List<(string, Tensor)> { ("output", r.Output.detach().clone()), ("x.grad", x.grad!.clone()) };
        if (withCounts) result.Add(("counts", r.ExpertCounts.to(ScalarType.Float64)));
        foreach (var (name, p) in layer.named_parameters())
            result.Add((name + ".grad", p.grad?.clone() ?? zeros_like(p)));
        return result;
    }

    /// <summary>Every tensor of <paramref name="actual"/> within <paramref name="tol"/> x max(1, max |expected|) of the same-index one of <paramref name="expected"/>.</summary>
    public static void AssertClose(List<(string Name, Tensor Value)> actual, List<(string Name, Tensor Value)> expected, double tol, string label)
    {
        for (int i = 0; i < actual.Count; i++)
        {
            var (name, a) = actual[i];
            var b = expected[i].Value;
            double scale = Math.Max(1, b.abs().max().ToDouble());
            double diff = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();
            Assert.True(diff <= tol * scale, $"{label}: {name} differs by {diff:G3} (scale {scale:G3})");
        }
    }
}
