// Load-balancing and z losses against hand-computed values; gradients flow only through P (probabilities).
using PluginMoE.Core.Moe;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class MoeLossesTests
{
    // 4 tokens, 2 experts, top-1: tokens 0, 1, 3 go to expert 0, token 2 to expert 1.
    private static Tensor Probs() => tensor(new double[] { 0.7, 0.3, 0.6, 0.4, 0.2, 0.8, 0.9, 0.1 }, [4, 2], requires_grad: true);
    private static readonly Tensor Top1 = tensor(new long[] { 0, 0, 1, 0 }, [4, 1]);

    [Fact]
    public void LoadBalancing_TinyExample_EqualsHandComputedValue()
    {
        // f = (3/4, 1/4), P = ((0.7+0.6+0.2+0.9)/4, (0.3+0.4+0.8+0.1)/4) = (0.6, 0.4)
        // L = 0.1 * 2 * (0.75 * 0.6 + 0.25 * 0.4) = 0.2 * 0.55 = 0.11
        var loss = MoeLosses.LoadBalancing(Probs(), Top1, null, alpha: 0.1);
        Assert.Equal(0.11, loss.ToDouble(), 12);
    }

    [Fact]
    public void LoadBalancing_MaskedToken_CountsInNeitherFNorP()
    {
        // Without token 3: f = (2/3, 1/3), P = ((0.7+0.6+0.2)/3, (0.3+0.4+0.8)/3) = (0.5, 0.5); L = 0.2 * 0.5 = 0.1
        var loss = MoeLosses.LoadBalancing(Probs(), Top1, tensor([true, true, true, false]), alpha: 0.1);
        Assert.Equal(0.1, loss.ToDouble(), 12);
    }

    [Fact]
    public void LoadBalancing_Gradient_FlowsOnlyThroughTheMeanProbabilities()
    {
        var probs = Probs();
        MoeLosses.LoadBalancing(probs, Top1, tensor([true, true, true, false]), alpha: 0.1).backward();
        // dL/dp[t, i] = alpha * n * f_i / N_valid for real tokens, 0 for the masked one.
        double g0 = 0.2 * (2.0 / 3) / 3, g1 = 0.2 * (1.0 / 3) / 3;
        var expected = new[] { g0, g1, g0, g1, g0, g1, 0, 0 };
        var actual = probs.grad!.data<double>();
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void LoadBalancing_TopTwo_UsesTheFractionOfSlots()
    {
        // k = 2 over 3 experts, 2 tokens: slots (0, 1), (0, 2) -> f = (2/4, 1/4, 1/4); uniform P = 1/3 -> L = alpha * 3 * 1/3 = alpha
        var probs = full([2, 3], 1.0 / 3, ScalarType.Float64);
        var loss = MoeLosses.LoadBalancing(probs, tensor(new long[] { 0, 1, 0, 2 }, [2, 2]), null, alpha: 0.01);
        Assert.Equal(0.01, loss.ToDouble(), 12);
    }

    [Fact]
    public void RouterZ_TinyExample_EqualsMeanSquaredLogSumExp()
    {
        var logits = tensor(new double[] { 0, 0, Math.Log(3), 0 }, [2, 2]);
        // lse = (ln 2, ln 4); masked second token -> beta * ln(2)^2
        Assert.Equal(0.5 * (Math.Log(2) * Math.Log(2) + Math.Log(4) * Math.Log(4)) * 0.3, MoeLosses.RouterZ(logits, null, 0.3).ToDouble(), 12);
        Assert.Equal(Math.Log(2) * Math.Log(2) * 0.3, MoeLosses.RouterZ(logits, tensor([true, false]), 0.3).ToDouble(), 12);
    }
}
