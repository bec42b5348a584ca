// Tiny dense models and helpers for the merge tests: a 2-layer d=16 Llama, experts "branched" as models of
// the same architecture from other seeds, routers attached fresh from their plugin, logits of a fixed batch.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Mergers.Tests;

internal static class Tiny
{
    public static readonly ModelConfig Config = new()
    {
        VocabSize = 32, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2,
        NumAttentionHeads = 2, NumKeyValueHeads = 2, MaxPositionEmbeddings = 16,
    };

    public static ComponentCatalog Catalog() => new ComponentCatalog()
        .AddRouter("linear", new LinearRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory());

    public static ModelCheckpoint Dense(long seed, ModelConfig? config = null) =>
        new TransformerLM(config ?? Config, Catalog(), new Generator(seed)).ToCheckpoint();

    public static MoeConfig Moe(int topK = 2, string router = "linear") => new() { Router = router, TopK = topK };

    /// <summary>The merged checkpoint with every tensor a freshly built model of its config has and the merge left out (the routers).</summary>
    public static ModelCheckpoint WithRouters(ModelCheckpoint merged, ComponentCatalog? catalog = null, long seed = 7)
    {
        merged.Tensors.TryGetValue(CanonicalNames.DomainEmbeddings, out var domains);
        var fresh = new TransformerLM(merged.Config, catalog ?? Catalog(), new Generator(seed), ScalarType.Float32, domains);
        var tensors = new Dictionary<string, Tensor>(merged.Tensors);
        foreach (var (name, t) in fresh.state_dict())
            if (!tensors.ContainsKey(name)) tensors[name] = t.detach().clone();
        return merged with { Tensors = tensors };
    }

    public static TransformerLM Model(ModelCheckpoint checkpoint, ComponentCatalog? catalog = null)
    {
        var m = TransformerLM.FromCheckpoint(checkpoint, catalog ?? Catalog());
        m.eval();
        return m;
    }

    public static Tensor Logits(TransformerLM model)
    {
        var ids = randint(0, Config.VocabSize, [2, 12], generator: new Generator(99));
        using var _ = no_grad();
        return model.forward(ids).Logits;
    }

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();

    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && MaxAbsDiff(a, b) == 0;
}
