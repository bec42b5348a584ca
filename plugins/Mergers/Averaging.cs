// Parameter averaging and mixing, tensor by tensor: sum_j w_j * theta_j (BTX/BTM averaging of non-FFN
// parameters) and (1 - lambda) * phi_moe + lambda * phi_new (Nexus extension). Accumulated in float64 and
// returned in the first input's type; inputs are read one at a time, so only one input tensor is held.
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Mergers;

/// <summary>Weighted averages and two-way mixes of tensors.</summary>
internal static class Averaging
{
    /// <summary>Normalises non-negative weights to sum to one (plain average when <paramref name="weights"/> is null).</summary>
    public static double[] Normalise(IReadOnlyList<double>? weights, int count)
    {
        if (weights is null) return [.. Enumerable.Repeat(1.0 / count, count)];
        double sum = weights.Sum();
        return [.. weights.Select(w => w / sum)];
    }

    /// <summary>sum_j weights[j] * inputs[j][name], in the type of the first input's tensor.</summary>
    public static Tensor Average(IReadOnlyList<MergeInput> inputs, IReadOnlyList<double> weights, string name)
    {
        using var _ = no_grad();
        Tensor? acc = null;
        ScalarType dtype = ScalarType.Float32;
        for (int j = 0; j < inputs.Count; j++)
        {
            var t = inputs[j].Read(name);                        // one input tensor at a time
            if (j == 0) dtype = t.dtype;
            if (!t.dtype.IsFloatingPoint())
            {
                if (j == 0) acc = t;                             // integer buffers are not averaged: the first input's
                continue;
            }
            var term = t.to(ScalarType.Float64) * weights[j];
            acc = acc is null ? term : acc + term;
        }
        return acc!.dtype == dtype ? acc : acc.to(dtype);
    }

    /// <summary>(1 - lambda) * a + lambda * b, in the type of <paramref name="a"/>.</summary>
    public static Tensor Mix(Tensor a, Tensor b, double lambda)
    {
        using var _ = no_grad();
        if (!a.dtype.IsFloatingPoint()) return a;
        var mixed = a.to(ScalarType.Float64) * (1 - lambda) + b.to(ScalarType.Float64) * lambda;
        return mixed.to(a.dtype);
    }
}
