// A decoder-only Llama-style LM whose FFN blocks are dense experts or MoE blocks (HF LlamaForCausalLM /
// MixtralForCausalLM math): logits = lm_head(norm(blocks(embed(ids)))). Module names are the canonical
// checkpoint names (model.embed_tokens.weight, model.layers.{i}..., model.norm.weight, lm_head.weight).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>The transformer language model.</summary>
public sealed partial class TransformerLM : nn.Module<Tensor, ModelOutput>
{
    private readonly TransformerBody _model;
    private readonly nn.Linear? _lm_head; // absent when the head is tied to the embedding
    private readonly IComponentCatalog _catalog; // model surgery binds the options of the plugins it names (ToInference)

    /// <summary>Builds a float32 model initialised from <paramref name="generator"/>.</summary>
    /// <param name="config">Architecture; validated here (errors name the config property).</param>
    /// <param name="catalog">Where the router and expert plugins named in the config come from.</param>
    /// <param name="generator">Random source of every initialisation, drawn in module order.</param>
    public TransformerLM(ModelConfig config, IComponentCatalog catalog, Generator generator)
        : this(config, catalog, generator, ScalarType.Float32) { }

    /// <summary>Builds a model with parameters of <paramref name="dtype"/> (float64 for gradient checks).</summary>
    /// <param name="config">Architecture; its JSON plugin options are bound here, once (<see cref="ModelPlan.Bind"/>).</param>
    /// <param name="catalog">Plugin catalog.</param>
    /// <param name="generator">Random source of every initialisation.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings (n, m) for routers that use them (Nexus); kept and saved as <see cref="CanonicalNames.DomainEmbeddings"/>.</param>
    public TransformerLM(ModelConfig config, IComponentCatalog catalog, Generator generator, ScalarType dtype, Tensor? domainEmbeddings = null)
        : this(Planned(config, catalog), catalog, generator, dtype, domainEmbeddings) { }

    /// <summary>Builds the model of a bound plan: every plugin factory receives the plan's typed options (no JSON is read).</summary>
    /// <param name="plan">Architecture with its bound plugin options; validated here (errors name the config property).</param>
    /// <param name="catalog">Where the router and expert plugins named in the plan come from.</param>
    /// <param name="generator">Random source of every initialisation, drawn in module order.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings (n, m) for routers that use them (Nexus); kept and saved as <see cref="CanonicalNames.DomainEmbeddings"/>.</param>
    public TransformerLM(ModelPlan plan, IComponentCatalog catalog, Generator generator, ScalarType dtype = ScalarType.Float32, Tensor? domainEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(generator);
        var config = plan.Config;
        Validate(config);
        Plan = plan;
        _catalog = catalog;
        DomainEmbeddings = domainEmbeddings?.detach();
        _model = new TransformerBody(plan, catalog, generator, dtype, DomainEmbeddings);
        if (!config.TieWordEmbeddings)
            _lm_head = Init.Linear(config.HiddenSize, config.VocabSize, generator, dtype);
        RegisterComponents(); // model, lm_head
    }

    // The architecture is checked before any plugin is looked up, so its messages come first.
    private static ModelPlan Planned(ModelConfig config, IComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(catalog);
        Validate(config);
        return ModelPlan.Bind(config, catalog);
    }

    /// <summary>The architecture with its bound plugin options (rewritten by model surgery: <see cref="ToInference"/>, <see cref="ModelExtension.Extend"/>).</summary>
    public ModelPlan Plan { get; private set; }

    /// <summary>The architecture of this model (<see cref="Plan"/>'s config: what a checkpoint's config.json records).</summary>
    public ModelConfig Config => Plan.Config;

    /// <summary>Per-expert domain embeddings (n, m), or null (grown by <see cref="ModelExtension.Extend"/>).</summary>
    public Tensor? DomainEmbeddings { get; private set; }

    /// <summary>The decoder layers (internal: model surgery reaches the MoE blocks through <see cref="MoeLayers"/>).</summary>
    internal IReadOnlyList<DecoderLayer> Layers => _model.Layers;

    /// <summary>The MoE blocks by layer index (empty for a dense model).</summary>
    public IReadOnlyList<(int Layer, Moe.MoeLayer Block)> MoeLayers =>
        [.. _model.Layers.Select((l, i) => (i, l.Moe)).Where(x => x.Moe is not null).Select(x => (x.i, x.Moe!))];

    /// <summary>Next-token logits for ids (B, T) int64, every token real.</summary>
    public override ModelOutput forward(Tensor ids) => forward(ids, attentionMask: null);

    /// <summary>Next-token logits for ids (B, T) int64, routed without a training step or random source.</summary>
    public ModelOutput forward(Tensor ids, Tensor? attentionMask) => forward(ids, attentionMask, routing: null);

    /// <summary>Next-token logits for ids (B, T) int64.</summary>
    /// <param name="ids">(B, T) token ids, T at most <see cref="ModelConfig.MaxPositionEmbeddings"/>.</param>
    /// <param name="attentionMask">(B, T) bool (true = real token) or null. Attention stays causal over all positions
    /// (pad at the end); the mask only keeps padding out of the MoE losses and routing counts.</param>
    /// <param name="routing">The training step and routing generator (the trainer's); its mask and training flag are
    /// replaced by <paramref name="attentionMask"/> and this model's mode. Null: step 0, no generator.</param>
    public ModelOutput forward(Tensor ids, Tensor? attentionMask, RoutingContext? routing)
    {
        var (h, moe) = Body(ids, attentionMask, routing, null);
        return Head(h, moe);
    }

    /// <summary>Checks the inputs and runs the body; <paramref name="hidden"/> collects the per-layer states when given.</summary>
    private (Tensor Hidden, List<(int Layer, Moe.MoeOutput Output)> Moe) Body(Tensor ids, Tensor? attentionMask, RoutingContext? routing, List<Tensor>? hidden)
    {
        ArgumentNullException.ThrowIfNull(ids);
        CheckIds(ids);
        if (ids.size(1) > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"TransformerLM: sequence length {ids.size(1)} exceeds MaxPositionEmbeddings ({Config.MaxPositionEmbeddings}); split the input or raise max_position_embeddings", nameof(ids));
        Tensor? mask = null;
        if (attentionMask is not null)
        {
            if (!attentionMask.shape.SequenceEqual(ids.shape))
                throw new ArgumentException($"TransformerLM: attentionMask must have the shape of ids [{string.Join(", ", ids.shape)}], got [{string.Join(", ", attentionMask.shape)}]", nameof(attentionMask));
            mask = attentionMask.reshape(-1); // (B*T)
        }

        var context = (routing ?? RoutingContext.Evaluation) with { Mask = mask, Training = training, UnitsPerToken = 1 };
        return _model.forward(ids.to(int64), context, null, hidden); // (B, T, C)
    }

    /// <summary>
    /// Per-layer hidden states of ids (B, T), each (B, T, C): index 0 the token embeddings, i in 1..L the output of block
    /// i, and L + 1 the final hidden state after the final norm (what the LM head sees). Runs in the model's current
    /// mode; call it under <c>no_grad()</c> and after <c>eval()</c> for embeddings.
    /// </summary>
    /// <param name="ids">(B, T) token ids.</param>
    /// <param name="attentionMask">(B, T) bool or null, as for <see cref="forward(Tensor, Tensor?)"/>.</param>
    public IReadOnlyList<Tensor> HiddenStates(Tensor ids, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var hidden = new List<Tensor>(Config.NumHiddenLayers + 2);
        var (h, _) = Body(ids, attentionMask, null, hidden);
        hidden.Add(h);
        return hidden;
    }

    /// <summary>Final hidden states (B, T, C) -> logits (B, T, V), with the MoE layers' losses and routing.</summary>
    private ModelOutput Head(Tensor h, List<(int Layer, Moe.MoeOutput Output)> moe)
    {
        var logits = _lm_head is null
            ? nn.functional.linear(h, _model.EmbeddingWeight)    // tied: logits = h E^T
            : _lm_head.forward(h);                               // (B, T, V)

        var aux = zeros([], logits.dtype);
        var routing = new List<LayerRouting>(moe.Count);
        foreach (var (layer, m) in moe)
        {
            aux = aux + m.AuxLoss;
            routing.Add(new LayerRouting(layer, m.ExpertIndices, m.ExpertCounts, m.ExpertWeights));
        }
        return new ModelOutput(logits, aux, routing);
    }

    /// <summary>Throws unless <paramref name="ids"/> is a (B, T) integer tensor.</summary>
    private static void CheckIds(Tensor ids)
    {
        if (ids.dim() != 2 || ids.dtype.IsFloatingPoint())
            throw new ArgumentException($"TransformerLM: ids must be (B, T) integer token ids, got {ids.dtype} of shape [{string.Join(", ", ids.shape)}]", nameof(ids));
    }

    /// <summary>The embedding matrix (V, C); the LM head uses the same tensor when <see cref="ModelConfig.TieWordEmbeddings"/>.</summary>
    public nn.Parameter EmbeddingWeight => _model.EmbeddingWeight;

    /// <summary>The LM head weight (V, C): the embedding itself when tied.</summary>
    public nn.Parameter HeadWeight => _lm_head?.weight ?? _model.EmbeddingWeight;
}
