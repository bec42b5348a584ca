// Nexus adaptive router (Gritsch et al. 2024, arXiv 2408.15901, eq. 2-4): expert embeddings e_i = W2 SwiGLU(W1 d_i)
// projected from fixed domain embeddings by a per-layer hypernetwork; p = softmax(x E^T); gate = p of the chosen experts.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Plugins.Routers;

/// <summary>
/// The Nexus router. Its parameters are the hypernetwork's <c>w1.weight</c> (2h, m) and <c>w2.weight</c> (d, h); the
/// domain embeddings (n, m) are fixed inputs, not state (the model saves them once, as <c>pluginmoe.domain_embeddings</c>).
/// E is recomputed from them at every training forward, so the hypernetwork is what trains; without gradients it is cached.
/// </summary>
public sealed class NexusRouter : RouterModule
{
    private readonly nn.Linear _w1; // m -> 2h: gate half, then value half
    private readonly nn.Linear _w2; // h -> d
    private readonly NexusRouterOptions _options;
    private readonly int _modelDim;
    private readonly int _hidden;
    private Tensor _domainEmbeddings; // (n, m)
    private Tensor? _cached;          // E (n, d) without a graph, valid for _cachedKey
    private CacheKey _cachedKey;

    /// <summary>Builds the hypernetwork; the domain embeddings come from the recipe, the options or their file.</summary>
    public NexusRouter(RouterSpec spec, NexusRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (spec.ModelDim <= 0 || spec.NumExperts <= 0 || spec.TopK <= 0 || spec.TopK > spec.NumExperts)
            throw new ArgumentException(
                $"router 'nexus': need ModelDim > 0 and 1 <= TopK <= NumExperts; got ModelDim {spec.ModelDim}, NumExperts {spec.NumExperts}, TopK {spec.TopK}", nameof(spec));
        _options = options;
        _modelDim = spec.ModelDim;
        _hidden = options.HiddenSize > 0 ? options.HiddenSize : spec.ModelDim;
        TopK = spec.TopK;
        _domainEmbeddings = DomainEmbeddingSource.Resolve(spec, options);
        int m = (int)_domainEmbeddings.size(1);
        _w1 = new nn.Linear(m, 2 * _hidden, bias: false, dtype: spec.DType);
        _w2 = new nn.Linear(_hidden, spec.ModelDim, bias: false, dtype: spec.DType);
        using (no_grad())
        {
            nn.init.normal_(_w1.weight, 0, 1 / Math.Sqrt(m), spec.Generator);
            nn.init.normal_(_w2.weight, 0, options.InitStd, spec.Generator);
        }
        RegisterComponents(); // w1, w2
    }

    /// <inheritdoc/>
    public override int NumExperts => (int)_domainEmbeddings.size(0);

    /// <inheritdoc/>
    public override int TopK { get; }

    /// <summary>The fixed domain embeddings (n, m).</summary>
    public Tensor DomainEmbeddings => _domainEmbeddings;

    /// <summary>The hypernetwork's input layer (m to 2h).</summary>
    public nn.Linear W1 => _w1;

    /// <summary>The hypernetwork's output layer (h to d).</summary>
    public nn.Linear W2 => _w2;

    /// <summary>
    /// E (n, d): the hypernetwork applied to every domain embedding, differentiable in W1 and W2 while gradients are
    /// recorded for them. Otherwise (under <c>no_grad</c>, or with both weights frozen) E is computed once and reused
    /// until a weight is written (its <see cref="Tensor._version"/> moves, e.g. by an optimizer step or a state load),
    /// replaced, or the domain embeddings change; the cached tensor belongs to no dispose scope.
    /// </summary>
    public Tensor ExpertEmbeddings()
    {
        Tensor w1 = _w1.weight, w2 = _w2.weight;
        if (is_grad_enabled() && (w1.requires_grad || w2.requires_grad))
            return ComputeExpertEmbeddings(); // part of the training graph: recomputed at every forward
        var key = new CacheKey(w1, w1._version, w2, w2._version, _domainEmbeddings);
        if (_cached is { } hit && _cachedKey == key) return hit;
        using (no_grad()) _cached = ComputeExpertEmbeddings().detach().DetachFromDisposeScope();
        _cachedKey = key;
        return _cached;
    }

    private Tensor ComputeExpertEmbeddings()
    {
        var a = _w1.forward(_domainEmbeddings);                      // (n, 2h)
        var gate = a.narrow(1, 0, _hidden);                          // (n, h)
        var value = a.narrow(1, _hidden, _hidden);                   // (n, h)
        return _w2.forward(F.silu(gate) * value);                    // (n, d)
    }

    /// <summary>What the cached E was computed from: the weight tensors, their versions and the domain embeddings.</summary>
    private readonly record struct CacheKey(Tensor W1, int W1Version, Tensor W2, int W2Version, Tensor Domains)
    {
        public bool Equals(CacheKey other) =>
            ReferenceEquals(W1, other.W1) && W1Version == other.W1Version && ReferenceEquals(W2, other.W2)
            && W2Version == other.W2Version && ReferenceEquals(Domains, other.Domains);

        public override int GetHashCode() => HashCode.Combine(W1Version, W2Version);
    }

    /// <summary>Routes (N, d) tokens: p = softmax(x E^T), the k best p as gates (not renormalised by default).</summary>
    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var logits = F.linear(tokens, ExpertEmbeddings());          // (N, n): recomputed at every forward
        var (weights, indices, probs) = Gating.TopK(logits, TopK, _options.Normalize);
        return new RoutingResult(indices, weights, probs, logits);
    }

    /// <summary>Appends the new experts' domain embeddings (Count, m); the hypernetwork maps them, no parameter is added.</summary>
    public override void AddExperts(ExpertExtension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Count <= 0) throw new ArgumentException($"router 'nexus': cannot add {extension.Count} experts", nameof(extension));
        var added = extension.DomainEmbeddings
            ?? throw new ArgumentException(
                $"router 'nexus': adding {extension.Count} experts needs their domain embeddings (ExpertExtension.DomainEmbeddings, ({extension.Count}, {_domainEmbeddings.size(1)})); " +
                "Nexus projects new experts from them instead of learning new router rows", nameof(extension));
        if (added.dim() != 2 || added.size(0) != extension.Count || added.size(1) != _domainEmbeddings.size(1))
            throw new ArgumentException(
                $"router 'nexus': the new domain embeddings have shape [{string.Join(", ", added.shape)}], expected [{extension.Count}, {_domainEmbeddings.size(1)}]", nameof(extension));
        _domainEmbeddings = cat([_domainEmbeddings, added.detach().to(_domainEmbeddings.dtype)], 0).contiguous();
    }

    /// <summary>
    /// The frozen form: E computed once and stored as the weight of a plain <c>linear</c> router with the same gate
    /// normalisation, so routing is bitwise the same and the router has exactly the parameters of a linear router.
    /// </summary>
    public override RouterInferenceForm ToInference()
    {
        Tensor e;
        using (no_grad()) e = ComputeExpertEmbeddings().detach().contiguous(); // (n, d), its own storage (not the cache's)
        var options = new LinearRouterOptions { Normalize = _options.Normalize };
        var linear = LinearRouter.FromWeight(e, TopK, options);
        if (!training) linear.eval();
        return new RouterInferenceForm(linear)
        {
            Plugin = LinearRouterFactory.Name,
            Options = new JsonObject { [nameof(LinearRouterOptions.Normalize)] = _options.Normalize },
        };
    }

    /// <inheritdoc/>
    public override string extra_repr() =>
        $"model_dim={_modelDim}, experts={NumExperts}, domain_dim={_domainEmbeddings.size(1)}, hidden={_hidden}, top_k={TopK}, normalize='{_options.Normalize}'";
}
