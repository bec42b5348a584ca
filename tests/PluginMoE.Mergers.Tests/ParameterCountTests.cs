// Parameter counts of merged models (total, active in training, active at inference) against the analytic
// counts, printed as the Nexus paper's parameter table.
using System.Globalization;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Model;
using PluginMoE.Plugins.Mergers;
using Xunit.Abstractions;

namespace PluginMoE.Mergers.Tests;

public sealed class ParameterCountTests(ITestOutputHelper output)
{
    [Fact]
    public void Counts_OfDenseBtxAndNexusModels_EqualTheAnalyticCounts()
    {
        var c = Tiny.Config;
        long v = c.VocabSize, d = c.HiddenSize, f = c.IntermediateSize, l = c.NumHiddenLayers;
        long ffn = 3 * d * f;                                          // SwiGLU: gate, up (f x d), down (d x f)
        long attention = 4 * d * d;                                   // q, k, v, o (heads * head_dim = d, kv heads = heads)
        long rest = 2 * v * d + d + l * (attention + 2 * d);         // embedding, untied head, final norm, per-layer norms
        int n = 3, k = 2;

        var dense = new ParameterCounts(rest + l * ffn, rest + l * ffn, rest + l * ffn);
        var btxWant = new ParameterCounts(rest + l * (n * ffn + n * d), rest + l * (k * ffn + n * d), rest + l * (k * ffn + n * d));
        var nexusWant = new ParameterCounts(rest + l * ((n + 1) * ffn + n * d), rest + l * ((1 + 1) * ffn + n * d), rest + l * ((1 + 1) * ffn + n * d));

        var seed = Tiny.Dense(1);
        var experts = new[] { Tiny.Dense(2), Tiny.Dense(3), Tiny.Dense(4) };
        var sources = experts.Select((e, j) => new ExpertSource($"d{j}", e, PluginMoE.Tensors.torch.ones(4))).ToList();
        var btx = Tiny.Model(Tiny.WithRouters(new BtxStrategy().Merge(new MergeRequest(seed, sources, Tiny.Moe(k))))).CountParameters();
        var nexus = Tiny.Model(Tiny.WithRouters(new NexusStrategy().Merge(new MergeRequest(seed, sources, Tiny.Moe(1))))).CountParameters();

        Assert.Equal(dense, Tiny.Model(seed).CountParameters());
        Assert.Equal(btxWant, btx);
        Assert.Equal(nexusWant, nexus);

        string Row(string name, ParameterCounts p) => string.Create(CultureInfo.InvariantCulture, $"| {name} | {p.Total:N0} | {p.ActiveTraining:N0} | {p.ActiveInference:N0} |");
        output.WriteLine("| model | total | active (training) | active (inference) |");
        output.WriteLine("| --- | ---: | ---: | ---: |");
        output.WriteLine(Row("dense seed", dense));
        output.WriteLine(Row($"btx, linear router, {n} experts, top-{k}", btx));
        output.WriteLine(Row($"nexus layout (shared seed FFN + {n} experts, top-1), linear router", nexus));
    }
}
