// A parameter-free hash router (Hash Layers, Roller et al. 2021) for hidden states: locality-sensitive hashing by
// fixed random projections (Charikar 2002). Each token goes to the k experts whose random direction it is closest to.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace ThirdPartyRouter;

/// <summary>
/// Routes by a fixed random projection: scores = (x - mean(x)) P^T with P (n, d) drawn once from N(0, 1/d) and kept
/// as a buffer (saved with the model, never trained). Similar tokens land on the same experts, routing never
/// collapses during training, and the router adds no parameters. Gate weights are equal (1/k): a hash carries no
/// confidence. It reports neither probabilities nor logits: nothing here is learned, so the layer adds no balancing
/// loss and no z-loss for it.
/// </summary>
public sealed class LshRouter : RouterModule
{
    /// <summary>Draws the projection from <paramref name="spec"/>'s generator.</summary>
    public LshRouter(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ModelDim <= 0 || spec.NumExperts <= 0 || spec.TopK <= 0 || spec.TopK > spec.NumExperts)
            throw new ArgumentException(
                $"router 'lsh': need ModelDim > 0 and 1 <= TopK <= NumExperts; got ModelDim {spec.ModelDim}, NumExperts {spec.NumExperts}, TopK {spec.TopK}", nameof(spec));
        TopK = spec.TopK;
        projection = Directions(spec.NumExperts, spec.ModelDim, spec.DType, spec.Generator);
        register_buffer("projection", projection);
    }

    /// <summary>One random direction per expert (n, d).</summary>
    public Tensor projection { get; private set; }

    /// <inheritdoc/>
    public override int NumExperts => (int)projection.size(0);

    /// <inheritdoc/>
    public override int TopK { get; }

    /// <summary>Routes (N, d) tokens; the routing is the same in training and evaluation, so the context is not needed.</summary>
    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var noGrad = no_grad(); // nothing here is learned
        var centred = tokens - tokens.mean(-1, keepdim: true);             // (N, d) the shared offset would pick one expert for all
        var scores = nn.functional.linear(centred, projection);            // (N, n)
        var (_, indices) = scores.topk(TopK, -1);                          // (N, k)
        long n = tokens.size(0);
        var weights = full([n, TopK], 1.0 / TopK, tokens.dtype);           // (N, k) equal shares
        return new RoutingResult(indices, weights, Probabilities: null, Logits: null);
    }

    /// <summary>Appends one fresh random direction per new expert; the old experts keep theirs.</summary>
    public override void AddExperts(ExpertExtension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Count <= 0) throw new ArgumentException($"router 'lsh': cannot add {extension.Count} experts", nameof(extension));
        var fresh = Directions(extension.Count, projection.size(1), projection.dtype, extension.Generator); // (c, d)
        projection = cat([projection, fresh], 0).contiguous();                                           // (n + c, d)
        register_buffer("projection", projection);
    }

    private static Tensor Directions(long rows, long dim, ScalarType dtype, Generator generator) =>
        randn([rows, dim], dtype, generator) * (1.0 / Math.Sqrt(dim));
}
