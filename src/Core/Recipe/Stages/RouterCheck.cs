// The start check of an MoE's router: one block's router is built (a throwaway initialisation) before any stage runs,
// so that what only the router can judge fails at start with its reason: options against the model width
// (multi-head routing needs h to divide d), missing domain embeddings, and, for an upcycled MoE, a router that
// splits tokens (MH-MoE) although the experts are the dense models' FFNs of width d.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Builds one router of a configuration to check it at start.</summary>
public static class RouterCheck
{
    /// <summary>
    /// Builds the router of one MoE block of <paramref name="model"/>; each problem is appended to <paramref name="errors"/>
    /// prefixed with <paramref name="key"/> (e.g. <c>Model:Moe</c> or <c>Recipe:Variants:mh4</c>).
    /// </summary>
    /// <param name="catalog">Where the router plugins come from.</param>
    /// <param name="model">The model; <see cref="ModelConfig.Moe"/> must be set (its router options as JSON or bound).</param>
    /// <param name="key">Key path of the MoE settings, for messages.</param>
    /// <param name="upcycled">True when the experts will be dense models' FFNs of width d (a token-splitting router cannot work then).</param>
    /// <param name="errors">Problems found.</param>
    /// <param name="suppliedEmbeddings">True when the recipe will supply domain embeddings (the check then passes stand-in ones).</param>
    /// <returns>The router, or null when it could not be built.</returns>
    public static RouterModule? Build(IComponentCatalog catalog, ModelConfig model, string key, bool upcycled, List<string> errors, bool suppliedEmbeddings = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Build(catalog, model, model.Moe?.RouterOptions, key, upcycled, errors, suppliedEmbeddings);
    }

    /// <summary>As <see cref="Build(IComponentCatalog, ModelConfig, string, bool, List{string}, bool)"/>, with the plan's bound router options (not bound again).</summary>
    public static RouterModule? Build(IComponentCatalog catalog, ModelPlan plan, string key, bool upcycled, List<string> errors, bool suppliedEmbeddings = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Build(catalog, plan.Config, plan.RouterOptions, key, upcycled, errors, suppliedEmbeddings);
    }

    private static RouterModule? Build(IComponentCatalog catalog, ModelConfig model, object? options, string key, bool upcycled, List<string> errors, bool suppliedEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(errors);
        var moe = model.Moe ?? throw new ArgumentException("RouterCheck: the model has no MoE blocks", nameof(model));
        int experts = Math.Max(1, Math.Max(moe.NumExperts, moe.TopK));
        var generator = new Generator(0);
        var resolver = new Resolver(catalog, key);
        RouterModule router;
        try
        {
            router = resolver.Create(moe.Router, new RouterSpec(model.HiddenSize, experts, moe.TopK)
            {
                Options = options,
                DomainEmbeddings = suppliedEmbeddings ? torch.randn([experts, 8], generator: generator) : null,
                Generator = generator,
                Routers = resolver,
            });
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException)
        {
            errors.Add($"{key}:{nameof(MoeConfig.Router)}: {e.Message}");
            return null;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // A plugin fault (or a refusal it did not phrase as ArgumentException): reported with the others, naming the plugin and its options.
            errors.Add($"{key}:{nameof(MoeConfig.Router)}: router plugin '{moe.Router}' failed to build its router with the options of " +
                $"{key}:{nameof(MoeConfig.RouterOptions)}: {e.GetType().Name}: {e.Message}");
            return null;
        }
        if (upcycled && router is ITokenSplittingRouter split)
        {
            int h = model.HiddenSize / Math.Max(1, split.SubTokenDim);
            errors.Add(
                $"{key}:{nameof(MoeConfig.Router)}: router '{moe.Router}' splits every token into {h} sub-tokens of width {split.SubTokenDim} (d/h) and needs experts " +
                $"of that width, but an upcycled variant's experts are the dense experts' FFNs of width {model.HiddenSize} (Model:HiddenSize). " +
                "Train this variant from scratch (From=scratch: its experts are built at width d/h), or upcycle with a router that routes whole tokens (linear, nexus, xmoe)");
            return null;
        }
        return router;
    }

    // Builds routers by name (wrappers build their inner router through it); JSON options are bound by the plugin's options type.
    private sealed class Resolver(IComponentCatalog catalog, string key) : IRouterResolver
    {
        public RouterModule Create(string name, RouterSpec spec)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var factory = catalog.Router(name);
            var options = spec.Options is null or JsonObject ? catalog.BindOptions(factory, (JsonObject?)spec.Options, $"{key}:{nameof(MoeConfig.RouterOptions)}") : spec.Options;
            return factory.Create(spec with { Options = options })
                ?? throw new ArgumentException($"router plugin '{name}' returned null from Create");
        }
    }
}
