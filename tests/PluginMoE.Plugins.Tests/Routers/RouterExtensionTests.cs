// Adding experts to a trained MoE layer: Nexus routes to the new expert without any new router parameter; tokens
// that the new expert does not receive keep their outputs (linear expand, topk-softmax) or their experts (Nexus).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class RouterExtensionTests
{
    private static readonly Tensor X = randn([40, 8], ScalarType.Float64, new Generator(31));

    private static ExpertModule NewExpert(long seed) =>
        new SwiGluExpertFactory().Create(new ExpertSpec(8, 5) { Generator = new Generator(seed), DType = ScalarType.Float64 });

    [Fact]
    public void Nexus_AfterAddingAnExpert_RoutesToItWithoutNewParameters()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 3, 1, "nexus", new JsonObject { ["InitStd"] = 0.5, ["DomainEmbeddings"] = RouterKit.Embeddings(3, 6, 32) }, shared: 3), seed: 33);
        var router = (NexusRouter)layer.Router;
        var before = router.named_parameters().Select(p => (p.name, p.parameter)).ToList();

        // A domain embedding far from the others: the hypernetwork maps it to a long expert embedding.
        var added = randn([1, 6], ScalarType.Float64, new Generator(34)) * 4;
        layer.AddExperts([NewExpert(35)], new ExpertExtension(1) { DomainEmbeddings = added });

        Assert.Equal(4, router.NumExperts);
        Assert.Equal(before, router.named_parameters().Select(p => (p.name, p.parameter)).ToList()); // the same parameter objects, none added
        Tensor e;
        using (no_grad()) e = router.ExpertEmbeddings();
        Assert.Equal([4L, 8], e.shape);
        var towardsNew = e[3].unsqueeze(0).expand(5, 8) * 3 + randn([5, 8], ScalarType.Float64, new Generator(36)) * 0.01;
        var routed = layer.forward(towardsNew).ExpertIndices.data<long>();
        Assert.All(routed, id => Assert.Equal(3L, id));
    }

    [Fact]
    public void LinearExpand_TokensNotRoutedToTheNewExpert_KeepTheirOutputs()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 2, "linear", new JsonObject { ["InitStd"] = 1, ["ExtendMode"] = "expand", ["ExpandInit"] = "random" }), seed: 37);
        var old = layer.forward(X);
        layer.AddExperts([NewExpert(38)], new ExpertExtension(1) { Generator = new Generator(39) });
        var now = layer.forward(X);

        var ids = now.ExpertIndices.data<long>();
        int kept = 0, moved = 0;
        for (int t = 0; t < 40; t++)
        {
            bool toNew = ids[2 * t] == 4 || ids[2 * t + 1] == 4;
            if (toNew) { moved++; continue; }
            kept++;
            Assert.Equal(old.Output[t].data<double>(), now.Output[t].data<double>());
            Assert.Equal(old.ExpertIndices[t].data<long>(), now.ExpertIndices[t].data<long>());
        }
        Assert.True(kept > 0 && moved > 0, $"kept {kept}, moved {moved}: the test needs both kinds of tokens");
    }

    [Fact]
    public void Nexus_TokensNotRoutedToTheNewExpert_KeepTheirExpertsAndOldExpertsAreUntouched()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 3, 1, "nexus", new JsonObject { ["InitStd"] = 0.5, ["DomainEmbeddings"] = RouterKit.Embeddings(3, 6, 40) }), seed: 41);
        var oldIds = layer.forward(X).ExpertIndices.data<long>();
        var expertOut = layer.Experts.Select(e => e.forward(X).data<double>()).ToList();
        layer.AddExperts([NewExpert(42)], new ExpertExtension(1) { DomainEmbeddings = randn([1, 6], ScalarType.Float64, new Generator(43)) });
        var newIds = layer.forward(X).ExpertIndices.data<long>();
        for (int t = 0; t < 40; t++)
            if (newIds[t] != 3) Assert.Equal(oldIds[t], newIds[t]);
        for (int j = 0; j < 3; j++) Assert.Equal(expertOut[j], layer.Experts[j].forward(X).data<double>());
    }

    [Fact]
    public void Nexus_AddingExpertsWithoutDomainEmbeddings_SaysWhatItNeeds()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 3, 1, "nexus", new JsonObject { ["DomainEmbeddings"] = RouterKit.Embeddings(3, 6, 44) }));
        var e = Assert.Throws<ArgumentException>(() => layer.Router.AddExperts(new ExpertExtension(2)));
        Assert.Contains("router 'nexus': adding 2 experts needs their domain embeddings (ExpertExtension.DomainEmbeddings, (2, 6))", e.Message);
    }
}
