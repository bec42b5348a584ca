// Model surgery on a built model: swap every router for its inference form (a frozen Nexus becomes a plain linear
// router) and rewrite the config so that the saved checkpoint names what is in the layers.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Model;

public sealed partial class TransformerLM
{
    /// <summary>
    /// Replaces every MoE layer's router by its <see cref="IRouter.ToInference"/> form, in place, and rewrites
    /// <see cref="Config"/>'s router plugin and options when the form names another plugin. In eval mode the model's
    /// outputs are unchanged (each form routes as the router it replaces). Returns this model, in eval mode.
    /// </summary>
    /// <exception cref="InvalidOperationException">Layers disagree on the inference plugin or its options (a config names one router for every layer),
    /// or the inference form names a plugin that is not in the catalog or options its plugin rejects (the message names both router plugins and the key).</exception>
    public TransformerLM ToInference()
    {
        var forms = MoeLayers.Select(l => (l.Layer, l.Block, Form: l.Block.Router.ToInference())).ToList();
        var changed = forms.Where(f => !f.Form.IsUnchanged).ToList();
        if (changed.Count > 0)
        {
            if (changed.Count != forms.Count)
                throw new InvalidOperationException(
                    $"ToInference: the routers of layers [{string.Join(", ", changed.Select(f => f.Layer))}] change plugin and those of layers " +
                    $"[{string.Join(", ", forms.Except(changed).Select(f => f.Layer))}] do not; a config names one router for every MoE layer");
            var plugin = changed[0].Form.Plugin!;
            var options = changed[0].Form.Options;
            foreach (var f in changed)
                if (f.Form.Plugin != plugin || !JsonNode.DeepEquals(f.Form.Options, options))
                    throw new InvalidOperationException(
                        $"ToInference: layer {f.Layer}'s router becomes '{f.Form.Plugin}' {f.Form.Options?.ToJsonString() ?? "{}"}, layer {changed[0].Layer}'s '{plugin}' " +
                        $"{options?.ToJsonString() ?? "{}"}; a config names one router for every MoE layer");
            Plan = Inference(plugin, (JsonObject?)options?.DeepClone());
        }
        foreach (var (_, block, form) in forms)
            if (!ReferenceEquals(form.Router, block.Router)) block.ReplaceRouter(form.Router);
        eval();
        return this;
    }

    // The plan of the inference form: its options bound once through the catalog (as a checkpoint's), the JSON kept for config.json.
    private Composition.ModelPlan Inference(string plugin, JsonObject? options)
    {
        var configured = Config.Moe!.Router;
        try { return Plan.WithRouter(plugin, options, _catalog); }
        catch (Exception e) when (e is KeyNotFoundException or Composition.PluginUnavailableException)
        {
            throw new InvalidOperationException($"ToInference: router plugin '{configured}' gives the inference form '{plugin}', which cannot be used: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(
                $"ToInference: router plugin '{configured}' gives the inference form '{plugin}' with options {options?.ToJsonString() ?? "{}"} that router plugin '{plugin}' rejects:\n{e.Message}", e);
        }
    }

    /// <summary>Sets the plan and domain embeddings after an extension (<see cref="ModelExtension"/>).</summary>
    internal void Extended(Composition.ModelPlan plan, Tensor? domainEmbeddings)
    {
        Validate(plan.Config);
        Plan = plan;
        DomainEmbeddings = domainEmbeddings?.detach();
    }
}
