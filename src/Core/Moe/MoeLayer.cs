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
    private RouterModule _gate;
    private readonly nn.ModuleList<ExpertModule> _experts;
    private readonly ExpertModule? _shared_expert;
    private readonly MoeConfig _moe;

    /// <summary>
    /// Builds the router, then the routed experts in order (at <see cref="ModelConfig.ExpertIntermediateSize"/>; each of its
    /// group's plugin when <see cref="MoeConfig.ExpertGroups"/> mixes kinds, e.g. FFN and null experts), then
    /// the shared expert, each drawing its init from <paramref name="generator"/>. Experts take width
    /// <see cref="ITokenSplittingRouter.SubTokenDim"/> when the router splits tokens; the shared expert always works on the full width.
    /// </summary>
    /// <param name="config">Model config; <see cref="ModelConfig.Moe"/> must be set. Its plugin options are bound here (<see cref="ModelPlan.Bind"/>).</param>
    /// <param name="catalog">Where the router and expert plugins come from.</param>
    /// <param name="generator">Random source for every initialisation.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings (n, m) for routers that use them, or null.</param>
    public MoeLayer(ModelConfig config, IComponentCatalog catalog, Generator generator, ScalarType dtype = ScalarType.Float32, Tensor? domainEmbeddings = null)
        : this(ModelPlan.Bind(config ?? throw new ArgumentNullException(nameof(config)), catalog ?? throw new ArgumentNullException(nameof(catalog))), catalog, generator, dtype, domainEmbeddings)
    {
    }

    /// <summary>Builds the block of <paramref name="plan"/>: each plugin's factory receives the plan's bound options.</summary>
    /// <param name="plan">The bound model; <see cref="ModelConfig.Moe"/> must be set.</param>
    /// <param name="catalog">Where the router and expert plugins come from.</param>
    /// <param name="generator">Random source for every initialisation.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings (n, m) for routers that use them, or null.</param>
    public MoeLayer(ModelPlan plan, IComponentCatalog catalog, Generator generator, ScalarType dtype = ScalarType.Float32, Tensor? domainEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(catalog);
        var config = plan.Config;
        _moe = config.Moe ?? throw new ArgumentException("MoeLayer: ModelConfig.Moe is null (a dense model has no MoE blocks)", nameof(plan));
        if (_moe.NumExperts < 1 || _moe.TopK < 1 || _moe.TopK > _moe.NumExperts)
            throw new ArgumentException($"MoeLayer: Moe.TopK ({_moe.TopK}) must be between 1 and Moe.NumExperts ({_moe.NumExperts})", nameof(plan));

        _gate = PluginBuilder.Router(catalog, plan, config.HiddenSize, generator, dtype, domainEmbeddings);
        ExpertDim = _gate is ITokenSplittingRouter split ? split.SubTokenDim : config.HiddenSize;
        _experts = new nn.ModuleList<ExpertModule>();
        for (int j = 0; j < _moe.NumExperts; j++)
            _experts.Add(PluginBuilder.RoutedExpert(catalog, plan, j, ExpertDim, config.ExpertIntermediateSize, generator, dtype));
        if (_moe.SharedExpertIntermediateSize is int shared and > 0)
            _shared_expert = PluginBuilder.Expert(catalog, plan, config.HiddenSize, shared, generator, dtype);
        RegisterComponents(); // gate, experts, shared_expert
    }

    /// <summary>The router (its parameters are this block's <c>gate.*</c>).</summary>
    public RouterModule Router => _gate;

    /// <summary>The routed experts, by id.</summary>
    public IReadOnlyList<ExpertModule> Experts => _experts;

    /// <summary>The always-on shared expert, or null.</summary>
    public ExpertModule? SharedExpert => _shared_expert;

    /// <summary>Model width of the routed experts (d, or d/h when the router splits tokens).</summary>
    public int ExpertDim { get; }

    /// <summary>
    /// Whether routed experts that offer <see cref="IGroupedFfnExpert"/> are computed together, one grouped GEMM per
    /// projection (default), rather than each through its own forward. The results are equal up to rounding; false is
    /// the reference for tests and benchmarks. Not saved with the model.
    /// </summary>
    public bool GroupedExperts { get; set; } = true;

    /// <summary>
    /// Largest number of routed units (tokens, or sub-tokens when the router splits them) for which the block, at inference
    /// (no gradient needed), sends every slot straight to its expert (<see cref="nn.functional.swiglu_expert_sum"/>: each
    /// chosen expert's weights read once, no sort, gather or scatter-add) instead of the expert-sorted dispatch; default 4
    /// (KV-cache decoding), 0 turns it off. Applies when every routed expert, and the shared one when it is summed in the
    /// combine, offers SwiGLU grouped weights and <see cref="GroupedExperts"/> is on. The sums are the dispatch's, in its
    /// order; on the CPU backend the result is bitwise the dispatch's while no expert gets 4 or more of the units (the
    /// one-row GEMM's products). Not saved with the model.
    /// </summary>
    public int TokenPathMaxTokens { get; set; } = 4;

    /// <summary>Runs the block on <paramref name="x"/> (N, d), every token real, in this module's train/eval mode without a random source.</summary>
    public MoeOutput forward(Tensor x) => forward(x, new RoutingContext { Training = training });

    /// <summary>Runs the block on <paramref name="x"/> (N, d) with a token mask, in this module's train/eval mode without a random source.</summary>
    /// <param name="x">(N, d) tokens.</param>
    /// <param name="mask">(N) bool, true for real tokens, or null.</param>
    public MoeOutput forward(Tensor x, Tensor? mask) => forward(x, new RoutingContext { Mask = mask, Training = training });

    /// <summary>Runs the block on <paramref name="x"/> (N, d).</summary>
    /// <param name="x">(N, d) tokens (the flattened batch).</param>
    /// <param name="context">The model-wide routing context: <see cref="RoutingContext.Mask"/> is over the N tokens (true for
    /// real ones; padding is routed and computed but excluded from the losses and counts), plus step, training flag and
    /// generator. The router receives a copy whose mask and <see cref="RoutingContext.UnitsPerToken"/> describe the units it routes.</param>
    public MoeOutput forward(Tensor x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        long n = x.size(0);
        var splitter = _gate as ITokenSplittingRouter;
        var tokens = splitter?.Split(x) ?? x;                    // (N', d') with N' = N*h when splitting
        long heads = n == 0 ? 1 : tokens.size(0) / n;
        var mask = context.Mask;
        var unitMask = mask is null || heads == 1 ? mask : mask.repeat_interleave(heads); // sub-tokens are row-major (t, h)

        var r = _gate.Route(tokens, context with { Mask = unitMask, UnitsPerToken = (int)heads }); // indices/weights (N', k)
        var weights = r.Weights.to(tokens.dtype);
        // The shared expert inside the combine: one more member of the routed experts' grouped GEMMs when its form matches
        // theirs (SharedExpertGrouped), else its own forward as the combine's base; on the token path one more slot per token.
        bool inCombine = splitter is null && _shared_expert is not null && SharedExpertInCombine;
        Tensor y;
        long[]? slotCounts;
        if (GroupedExperts && TokenDispatch.TryRun(tokens, r.Indices, weights, _experts, inCombine ? _shared_expert : null, TokenPathMaxTokens) is { } few)
            (y, slotCounts) = few; // a handful of tokens at inference: each slot straight to its expert
        else
        {
            var sharedBase = inCombine && !SharedExpertGrouped ? _shared_expert!.forward(x) : null; // (N, d) or null
            var sharedJoin = inCombine && SharedExpertGrouped ? _shared_expert : null;
            (y, var plan) = DroplessDispatch.Run(tokens, r.Indices, weights, _experts, GroupedExperts, sharedBase, sharedJoin); // (N', d')
            slotCounts = plan?.ExpertCounts;
        }
        if (splitter is not null) y = splitter.Merge(y, n);      // (N, d)
        if (!inCombine) y = AddShared(y, x);

        var aux = zeros([], y.dtype);
        if (context.Training || AuxLossInEval)
        {
            // Only training uses the auxiliary losses: evaluation and inference skip them unless asked (AuxLossInEval).
            if (r.Probabilities is not null) aux = aux + MoeLosses.LoadBalancing(r.Probabilities, r.Indices, unitMask, _moe.LoadBalanceWeight);
            if (r.Logits is not null) aux = aux + MoeLosses.RouterZ(r.Logits, unitMask, _moe.RouterZLossWeight);
            foreach (var extra in r.AuxiliaryLosses) aux = aux + extra.Value;
        }

        var counts = unitMask is null && slotCounts is not null && slotCounts.Length == _gate.NumExperts
            ? tensor(slotCounts).to(r.Indices.device) // the dispatch already counted every slot
            : Counts(r.Indices, unitMask, _gate.NumExperts);
        return new MoeOutput(y, aux, r.Indices, counts, r.Weights);
    }

    /// <summary>
    /// Whether <see cref="MoeOutput.AuxLoss"/> is computed when the routing context is not training (evaluation, scoring,
    /// generation). Default false: outside training nothing uses the load-balancing loss, the router z-loss or the router's
    /// own auxiliary losses, so the block returns a 0 loss there without computing them (the output, expert indices,
    /// counts and gates, which evaluation and the routing explorer read, are the same either way). Not saved with the model.
    /// </summary>
    public bool AuxLossInEval { get; set; }

    /// <summary>
    /// Whether the shared expert's output is the base the routed combine sums onto (default), rather than added to the
    /// routed sum afterwards; equal up to rounding (the summation order differs). It saves the combine's zero buffer and
    /// one full-size sum in the forward and its backward. Not used when the router splits tokens. Not saved with the model.
    /// </summary>
    public bool SharedExpertInCombine { get; set; } = true;

    /// <summary>
    /// With <see cref="SharedExpertInCombine"/> and <see cref="GroupedExperts"/>: whether a shared expert whose grouped form
    /// (<see cref="IGroupedFfnExpert"/>) has the kind, shapes, dtype and device of the routed experts' group runs as one more
    /// member of that group (default): its N rows at weight 1 join the same grouped GEMMs (one pass over all rows per
    /// projection, forward and backward) and the same scatter-add. Equal up to rounding to its own forward; false is the
    /// reference for tests and benchmarks. Not saved with the model.
    /// </summary>
    public bool SharedExpertGrouped { get; set; } = true;

    /// <summary>y + shared(x): the always-on shared expert at weight 1, or y when there is none.</summary>
    private Tensor AddShared(Tensor y, Tensor x) => _shared_expert is null ? y : y + _shared_expert.forward(x);

    /// <summary>
    /// Replaces the router (model surgery: its inference form). The new router must route over the same experts.
    /// </summary>
    /// <exception cref="ArgumentException">The router has another number of experts or another top-k.</exception>
    internal void ReplaceRouter(RouterModule router)
    {
        ArgumentNullException.ThrowIfNull(router);
        if (router.NumExperts != _gate.NumExperts || router.TopK != _gate.TopK)
            throw new ArgumentException(
                $"MoeLayer: the replacement router routes to {router.NumExperts} experts with top-{router.TopK}, the layer's router to {_gate.NumExperts} with top-{_gate.TopK}", nameof(router));
        if (_gate is ITokenSplittingRouter != router is ITokenSplittingRouter)
            throw new ArgumentException("MoeLayer: the replacement router must split tokens exactly when the original does", nameof(router));
        router.train(_gate.training);
        _gate = router;
        register_module("gate", router);
    }

    /// <summary>
    /// Appends <paramref name="experts"/> as ids n..n+c-1 and tells the router (<see cref="IRouter.AddExperts"/>).
    /// The router may replace its parameters: build optimisers afterwards.
    /// </summary>
    /// <param name="experts">New experts, built at <see cref="ExpertDim"/>.</param>
    /// <param name="extension">What the router is told (its Count must equal the number of experts).</param>
    /// <exception cref="ArgumentException">The counts differ, or the router did not grow to n + c experts.</exception>
    public void AddExperts(IReadOnlyList<ExpertModule> experts, ExpertExtension extension)
    {
        ArgumentNullException.ThrowIfNull(experts);
        ArgumentNullException.ThrowIfNull(extension);
        if (experts.Count == 0 || experts.Count != extension.Count)
            throw new ArgumentException($"MoeLayer.AddExperts: {experts.Count} experts given for an extension of {extension.Count}; give one or more, as many as the extension counts", nameof(experts));
        int before = _gate.NumExperts;
        _gate.AddExperts(extension);
        if (_gate.NumExperts != before + experts.Count)
            throw new InvalidOperationException(
                $"MoeLayer.AddExperts: after AddExperts({experts.Count}) the router reports {_gate.NumExperts} experts, expected {before + experts.Count}");
        foreach (var e in experts)
        {
            e.train(training);
            _experts.Add(e);
        }
    }

    /// <summary>(n) int64 routed slots per expert over the unmasked units.</summary>
    internal static Tensor Counts(Tensor indices, Tensor? mask, int numExperts)
    {
        var flat = indices.reshape(-1);
        if (mask is null) return flat.bincount(minlength: numExperts);
        var slotWeights = mask.to(int64).repeat_interleave(indices.size(1));
        return flat.bincount(slotWeights, minlength: numExperts).to(int64);
    }
}
