// Checkpoint conversion and parameter counting: ToCheckpoint/FromCheckpoint use the canonical names (the
// module names), and loading checks every name and shape before copying anything.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>The config and a snapshot (detached copies) of every parameter by canonical name, plus the domain embeddings when
    /// present, and the model's Hugging Face form (<see cref="DescribeHuggingFace"/>).</summary>
    public ModelCheckpoint ToCheckpoint()
    {
        var tensors = new Dictionary<string, Tensor>();
        using (no_grad())
        {
            foreach (var (name, t) in state_dict()) tensors[name] = t.clone();
            if (DomainEmbeddings is not null) tensors[CanonicalNames.DomainEmbeddings] = DomainEmbeddings.clone();
        }
        return new ModelCheckpoint(Config, tensors) { HuggingFace = DescribeHuggingFace() };
    }

    /// <summary>
    /// Builds the model described by <paramref name="checkpoint"/>'s config and loads its tensors. Strict: the
    /// tensor names must be exactly the model's and every shape must match; otherwise nothing is loaded and the
    /// error lists all missing, unexpected and mismatched names. The model takes the dtype of the embedding tensor.
    /// </summary>
    /// <remarks>Loading a checkpoint is where its config's JSON plugin options are bound (once, <see cref="ModelPlan.Bind"/>); errors
    /// name the config.json file and key (<c>pluginmoe.moe.router_options.Normalize</c>) when the checkpoint was read from a folder.</remarks>
    /// <exception cref="InvalidDataException">Names or shapes do not match the config.</exception>
    /// <exception cref="ArgumentException">The architecture or a plugin's options are refused.</exception>
    public static TransformerLM FromCheckpoint(ModelCheckpoint checkpoint, IComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(catalog);
        checkpoint = WithImportedRouterOptions(checkpoint, catalog);
        Validate(checkpoint.Config);
        var keys = checkpoint.Source is { } file ? PluginOptionKeys.ConfigJson(file) : PluginOptionKeys.Config;
        return FromCheckpoint(checkpoint, ModelPlan.Bind(checkpoint.Config, catalog, keys), catalog);
    }

    /// <summary>
    /// Builds <paramref name="plan"/>'s model and loads <paramref name="checkpoint"/>'s tensors into it, as
    /// <see cref="FromCheckpoint(ModelCheckpoint, IComponentCatalog)"/> does; the plan's config must be the checkpoint's (model
    /// surgery rebuilding a model it holds).
    /// </summary>
    internal static TransformerLM FromCheckpoint(ModelCheckpoint checkpoint, ModelPlan plan, IComponentCatalog catalog)
    {
        var tensors = checkpoint.Tensors;
        tensors.TryGetValue(CanonicalNames.DomainEmbeddings, out var domains);
        var dtype = tensors.TryGetValue("model.embed_tokens.weight", out var embed) && embed.dtype == ScalarType.Float64
            ? ScalarType.Float64 : ScalarType.Float32;
        // Initial values are overwritten; a fixed seed keeps construction deterministic.
        var model = new TransformerLM(plan, catalog, new Generator(0), dtype, domains);

        var own = model.state_dict();
        var missing = own.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !own.ContainsKey(k) && k != CanonicalNames.DomainEmbeddings).ToList();
        var mismatched = own.Where(kv => tensors.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint {Format(tensors[kv.Key].shape)}, model {Format(kv.Value.shape)}").ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var lines = new List<string>();
            if (missing.Count > 0) lines.Add($"missing tensors ({missing.Count}): {string.Join(", ", missing)}");
            if (unexpected.Count > 0) lines.Add($"unexpected tensors ({unexpected.Count}): {string.Join(", ", unexpected)}");
            if (mismatched.Count > 0) lines.Add($"shape mismatches ({mismatched.Count}): {string.Join("; ", mismatched)}");
            throw new InvalidDataException(
                "checkpoint tensors do not match the model its config describes (check the config: layers, widths, experts, " +
                "tie_word_embeddings, router):\n\t" + string.Join("\n\t", lines));
        }
        model.load_state_dict(tensors.Where(kv => kv.Key != CanonicalNames.DomainEmbeddings).ToDictionary(kv => kv.Key, kv => kv.Value));
        return model;
    }

    /// <summary>
    /// A checkpoint read from a Hugging Face file written by another tool names no router options: ask the configured
    /// router plugin (<see cref="Abstractions.Routing.IHuggingFaceRouterFactory"/>) for options that give the file's gate.
    /// </summary>
    private static ModelCheckpoint WithImportedRouterOptions(ModelCheckpoint checkpoint, IComponentCatalog catalog)
    {
        if (checkpoint.HuggingFace is not { RouterOptionsFromForm: true, RenormalizeTopK: bool renormalize } form || checkpoint.Config.Moe is not { } moe)
            return checkpoint;
        var factory = catalog.Router(moe.Router);
        var options = (factory as Abstractions.Routing.IHuggingFaceRouterFactory)?.OptionsFor(renormalize, form.RouterJitterNoise)
            ?? throw new InvalidDataException(
                $"the checkpoint is a Hugging Face MoE written by another tool (its gate {(renormalize ? "renormalises" : "does not renormalise")} the top-k weights), " +
                $"but router plugin '{moe.Router}' cannot be such a gate (its factory does not implement IHuggingFaceRouterFactory or returned null)");
        return checkpoint with { Config = checkpoint.Config with { Moe = moe with { RouterOptions = options } } };
    }

    /// <summary>
    /// Total parameters, and the parameters one token uses: everything outside the routed experts, plus k routed
    /// experts per MoE layer (with token splitting, h sub-tokens each use k experts: h*k, at most n). At inference
    /// each router is replaced by its <c>ToInference()</c> form (e.g. Nexus's hypernetwork by a plain linear router).
    /// </summary>
    public ParameterCounts CountParameters()
    {
        long total = num_parameters();
        long training = total, inference = total;
        foreach (var (_, block) in MoeLayers)
        {
            var experts = block.Experts.Select(e => e.num_parameters()).ToList();
            long routed = experts.Sum();
            long perExpert = experts.Count == 0 ? 0 : experts.Max();
            long active = Math.Min(experts.Count, ActiveExpertsPerToken(block)) * perExpert;
            training += active - routed;
            long routerTraining = block.Router.num_parameters();
            long routerInference = block.Router.ToInference().Router.num_parameters();
            inference += active - routed - routerTraining + routerInference;
        }
        return new ParameterCounts(total, training, inference);
    }

    private long ActiveExpertsPerToken(Moe.MoeLayer block) =>
        block.Router is Abstractions.Routing.ITokenSplittingRouter split
            ? (long)block.Router.TopK * (Config.HiddenSize / split.SubTokenDim)
            : block.Router.TopK;

    private static string Format(long[] shape) => "(" + string.Join(", ", shape) + ")";
}
