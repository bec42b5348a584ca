// Multi-head routing (MH-MoE, Wu et al. 2024, arXiv 2404.15045, eq. 3-7): X' = X W_head^T + b, every token split into h
// sub-tokens of width d/h, the sub-tokens routed by any inner router and sent to experts of width d/h, merged back, W_merge.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Routers;

/// <summary>
/// A wrapper that routes sub-tokens. Parameters: <c>head_proj.*</c> (d, d) with bias, <c>merge_proj.*</c> (d, d) with bias,
/// and the inner router's under <c>inner.</c>. The MoE layer calls <see cref="Split"/>, routes the T*h sub-tokens through
/// <see cref="Route"/> (the inner router) and dispatches them to experts of width <see cref="SubTokenDim"/>, then calls <see cref="Merge"/>.
/// </summary>
public sealed class MultiHeadRouter : RouterModule, ITokenSplittingRouter
{
    private readonly nn.Linear _head_proj;   // d -> d
    private readonly nn.Linear _merge_proj;  // d -> d
    private readonly RouterModule _inner;
    private readonly MultiHeadRouterOptions _options;
    private readonly int _modelDim;

    /// <summary>Builds the projections (W_head Xavier-uniform with gain 1/sqrt(2); W_merge Xavier-uniform, bias 0) and the inner router at width d/h.</summary>
    public MultiHeadRouter(RouterSpec spec, MultiHeadRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        int h = options.Heads;
        if (h < 1 || spec.ModelDim % h != 0)
        {
            var divisors = Enumerable.Range(1, Math.Max(1, spec.ModelDim)).Where(v => spec.ModelDim % v == 0);
            throw new ArgumentException(
                $"router 'multi-head': Heads = {h} does not divide the model width {spec.ModelDim}; every token is split into h sub-tokens " +
                $"of width d/h, so h must be a divisor of {spec.ModelDim} ({string.Join(", ", divisors)})");
        }
        if (string.Equals(options.Inner, MultiHeadRouterFactory.Name, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("router 'multi-head': Inner = 'multi-head' cannot work: the layer splits tokens once; choose a plain router (xmoe, linear, nexus)");
        var routers = spec.Routers
            ?? throw new ArgumentException(
                $"router 'multi-head': building the inner router '{options.Inner}' by name needs RouterSpec.Routers (the host supplies it; in code pass an IRouterResolver)");
        _options = options;
        _modelDim = spec.ModelDim;
        SubTokenDim = spec.ModelDim / h;
        _head_proj = new nn.Linear(spec.ModelDim, spec.ModelDim, bias: true, generator: spec.Generator, dtype: spec.DType);
        _merge_proj = new nn.Linear(spec.ModelDim, spec.ModelDim, bias: true, generator: spec.Generator, dtype: spec.DType);
        using (no_grad())
        {
            nn.init.xavier_uniform_(_head_proj.weight, 1 / Math.Sqrt(2), spec.Generator);
            nn.init.xavier_uniform_(_merge_proj.weight, 1, spec.Generator);
            _merge_proj.bias!.zero_();
        }
        // The inner options arrive bound with these (the host binds nested options once per model); options built in code
        // without the host pass their JSON, which the resolver binds.
        _inner = routers.Create(options.Inner, spec with { ModelDim = SubTokenDim, Options = options.InnerOptions?.ForSpec });
        RegisterComponents(); // head_proj, merge_proj, inner
    }

    private MultiHeadRouter(MultiHeadRouter source, RouterModule inner)
    {
        _options = source._options;
        _modelDim = source._modelDim;
        SubTokenDim = source.SubTokenDim;
        _head_proj = source._head_proj;
        _merge_proj = source._merge_proj;
        _inner = inner;
        RegisterComponents();
    }

    /// <summary>Sub-tokens per token h.</summary>
    public int Heads => _options.Heads;

    /// <summary>The router of the sub-tokens.</summary>
    public RouterModule Inner => _inner;

    /// <summary>The head projection W_head (d to d, bias).</summary>
    public nn.Linear HeadProjection => _head_proj;

    /// <summary>The merge projection W_merge (d to d, bias).</summary>
    public nn.Linear MergeProjection => _merge_proj;

    /// <inheritdoc/>
    public int SubTokenDim { get; }

    /// <inheritdoc/>
    public override int NumExperts => _inner.NumExperts;

    /// <inheritdoc/>
    public override int TopK => _inner.TopK;

    /// <inheritdoc/>
    public Tensor Split(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return _head_proj.forward(tokens).reshape(tokens.size(0) * Heads, SubTokenDim); // (T, d) -> (T*h, d/h)
    }

    /// <inheritdoc/>
    public Tensor Merge(Tensor subTokens, long tokenCount)
    {
        ArgumentNullException.ThrowIfNull(subTokens);
        return _merge_proj.forward(subTokens.reshape(tokenCount, _modelDim));             // (T*h, d/h) -> (T, d)
    }

    /// <summary>Routes (T*h, d/h) sub-tokens with the inner router (the balancing loss then counts sub-tokens).</summary>
    public override RoutingResult Route(Tensor tokens, RoutingContext context) => _inner.Route(tokens, context);

    /// <inheritdoc/>
    public override void AddExperts(ExpertExtension extension) => _inner.AddExperts(extension);

    /// <summary>The same projections around the inner router's inference form (e.g. multi-head(nexus) becomes multi-head(linear)).</summary>
    public override RouterInferenceForm ToInference()
    {
        var inner = _inner.ToInference();
        if (inner.IsUnchanged && ReferenceEquals(inner.Router, _inner)) return RouterInferenceForm.Unchanged(this);
        var frozen = new MultiHeadRouter(this, inner.Router);
        if (!training) frozen.eval();
        return new RouterInferenceForm(frozen)
        {
            Plugin = MultiHeadRouterFactory.Name,
            Options = new JsonObject
            {
                [nameof(MultiHeadRouterOptions.Heads)] = Heads,
                [nameof(MultiHeadRouterOptions.Inner)] = inner.Plugin ?? _options.Inner,
                [nameof(MultiHeadRouterOptions.InnerOptions)] = inner.IsUnchanged ? _options.InnerOptions?.Json?.DeepClone() : inner.Options?.DeepClone(),
            },
        };
    }

    /// <inheritdoc/>
    public override string extra_repr() => $"model_dim={_modelDim}, heads={Heads}, sub_token_dim={SubTokenDim}, inner='{_options.Inner}'";
}
