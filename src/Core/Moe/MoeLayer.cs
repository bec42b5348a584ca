// The MoE feed-forward block: y = shared(x) + sum_{j in topk(x)} g_j(x) * expert_j(x) (METHODS.md, "Common").
// Router and experts come from the catalog by name; the block only dispatches and adds the balancing losses.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Moe;

/// <summary>
/// A sparse MoE FFN block. Its state uses the canonical names below the layer's <c>mlp.</c> prefix:
/// <c>gate.*</c> (the router), <c>experts.{j}.*</c> and, when configured, <c>shared_expert.*</c>.
/// </summary>
public sealed class MoeLayer : nn.Module
{
    private readonly nn.Module _gate;
    private readonly nn.ModuleList _experts;
    private readonly nn.Module? _shared_expert;
    private readonly IExpert[] _expertList;
    private readonly MoeConfig _moe;

    /// <summary>
    /// Builds the router, then the routed experts in order, then the shared expert, each drawing its init from
    /// <paramref name="generator"/>. Experts take width <see cref="ITokenSplittingRouter.SubTokenDim"/> when the
    /// router splits tokens; the shared expert always works on the full width.
    /// </summary>
    /// <param name="config">Model config; <see cref="ModelConfig.Moe"/> must be set.</param>
    /// <param name="catalog">Where the router and expert plugins come from.</param>
    /// <param name="generator">Random source for every initialisation.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings (n, m) for routers that use them, or null.</param>
    public MoeLayer(ModelConfig config, IComponentCatalog catalog, Generator generator, ScalarType dtype = ScalarType.Float32, Tensor? domainEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(catalog);
        _moe = config.Moe ?? throw new ArgumentException("MoeLayer: ModelConfig.Moe is null (a dense model has no MoE blocks)", nameof(config));
        if (_moe.NumExperts < 1 || _moe.TopK < 1 || _moe.TopK > _moe.NumExperts)
            throw new ArgumentException($"MoeLayer: Moe.TopK ({_moe.TopK}) must be between 1 and Moe.NumExperts ({_moe.NumExperts})", nameof(config));

        (Router, _gate) = PluginBuilder.Router(catalog, _moe, config.HiddenSize, generator, dtype, domainEmbeddings);
        int expertDim = Router is ITokenSplittingRouter split ? split.SubTokenDim : config.HiddenSize;
        _expertList = new IExpert[_moe.NumExperts];
        _experts = new nn.ModuleList();
        for (int j = 0; j < _moe.NumExperts; j++)
        {
            var (expert, module) = PluginBuilder.Expert(catalog, config, expertDim, config.IntermediateSize, generator, dtype);
            _expertList[j] = expert;
            _experts.Add(module);
        }
        if (_moe.SharedExpertIntermediateSize is int shared and > 0)
            (SharedExpert, _shared_expert) = PluginBuilder.Expert(catalog, config, config.HiddenSize, shared, generator, dtype);
        RegisterComponents(); // gate, experts, shared_expert
    }

    /// <summary>The router (its parameters are this block's <c>gate.*</c>).</summary>
    public IRouter Router { get; }

    /// <summary>The routed experts, by id.</summary>
    public IReadOnlyList<IExpert> Experts => _expertList;

    /// <summary>The always-on shared expert, or null.</summary>
    public IExpert? SharedExpert { get; }

    /// <summary>Runs the block on <paramref name="x"/> (N, d).</summary>
    /// <param name="x">(N, d) tokens (the flattened batch).</param>
    /// <param name="mask">(N) bool, true for real tokens; padding is routed and computed but excluded from the losses and counts. Null when all tokens are real.</param>
    public MoeOutput Forward(Tensor x, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        long n = x.size(0);
        var splitter = Router as ITokenSplittingRouter;
        var tokens = splitter?.Split(x) ?? x;                    // (N', d') with N' = N*h when splitting
        long heads = n == 0 ? 1 : tokens.size(0) / n;
        var slotMask = mask is null || heads == 1 ? mask : mask.repeat_interleave(heads); // sub-tokens are row-major (t, h)

        var r = Router.Route(tokens);                            // indices/weights (N', k), probabilities/logits (N', n)
        var y = DroplessDispatch.Forward(tokens, r.Indices, r.Weights.to(tokens.dtype), _expertList); // (N', d')
        if (splitter is not null) y = splitter.Merge(y, n);      // (N, d)
        if (SharedExpert is not null) y = y + SharedExpert.Forward(x); // always on, weight 1

        var aux = MoeLosses.LoadBalancing(r.Probabilities, r.Indices, slotMask, _moe.LoadBalanceWeight)
            + MoeLosses.RouterZ(r.Logits, slotMask, _moe.RouterZLossWeight);
        foreach (var extra in r.AuxiliaryLosses) aux = aux + extra.Value;

        var counts = Counts(r.Indices, slotMask, Router.NumExperts);
        return new MoeOutput(y, aux, r.Indices, counts);
    }

    /// <summary>(n) int64 routed slots per expert over the unmasked tokens.</summary>
    internal static Tensor Counts(Tensor indices, Tensor? mask, int numExperts)
    {
        var flat = indices.reshape(-1);
        if (mask is null) return flat.bincount(minlength: numExperts);
        var slotWeights = mask.to(int64).repeat_interleave(indices.size(1));
        return flat.bincount(slotWeights, minlength: numExperts).to(int64);
    }
}
