// The router half of a model's Hugging Face form, asked of the routers themselves (IHuggingFaceRouter): whether every
// MoE block's router is a linear softmax gate holding only gate.weight, and whether they renormalise the top k alike.
// Used by TransformerLM.DescribeHuggingFace and by whoever attaches fresh routers to merged tensors (pluginmoe merge).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Model;

/// <summary>The Hugging Face gate form of a set of routers.</summary>
public static class HuggingFaceRouters
{
    /// <summary>
    /// <paramref name="form"/> with its router part (<see cref="HuggingFaceForm.RenormalizeTopK"/>, <see cref="HuggingFaceForm.RouterObstacle"/>,
    /// <see cref="HuggingFaceForm.RouterJitterNoise"/>) asked of <paramref name="routers"/>; a null <paramref name="form"/> means the FFN
    /// part is unknown (the result then says so as its FFN obstacle).
    /// </summary>
    /// <param name="form">The FFN part (from the model's experts, or carried over from merged inputs), or null.</param>
    /// <param name="routers">Each MoE block's router with where it is (<c>layer 3</c>), in layer order.</param>
    /// <param name="plugin">The router plugin's name, for messages.</param>
    public static HuggingFaceForm Describe(HuggingFaceForm? form, IReadOnlyList<(string Where, RouterModule Router)> routers, string plugin)
    {
        ArgumentNullException.ThrowIfNull(routers);
        bool? renormalize = null;
        string? obstacle = null;
        double jitter = 0;
        foreach (var (where, router) in routers)
        {
            var gate = (router as IHuggingFaceRouter)?.ToHuggingFace();
            var state = router.state_dict();
            var names = state.Keys.ToList();
            obstacle = gate is null ? $"{where}'s router ('{plugin}') is not a Hugging Face linear gate"
                : renormalize is { } r && r != gate.RenormalizeTopK ? $"{where}'s gate renormalises the top-k weights differently from {routers[0].Where}'s"
                : names is not ["weight"] || !ReferenceEquals(state["weight"], gate.Weight) && !SameValues(state["weight"], gate.Weight)
                    ? $"{where}'s router holds [{string.Join(", ", names)}], not just the gate weight (export its inference form)"
                : null;
            if (obstacle is not null) { renormalize = null; break; }
            renormalize = gate!.RenormalizeTopK;
            jitter = gate.JitterNoise;
        }
        var ffn = form ?? new HuggingFaceForm { FfnObstacle = "the inputs do not record how their FFNs map onto Hugging Face MLPs" };
        return ffn with { RenormalizeTopK = renormalize, RouterObstacle = obstacle, RouterJitterNoise = jitter };
    }

    private static bool SameValues(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && (a - b).abs().max().ToDouble() == 0;
}
