// What building a merged MoE from plugins needs, for `pluginmoe merge`/`extend` and the recipe's upcycle and extend
// stages alike: a plugin's options bound and validated (errors as configuration errors naming the key), a router
// checked before any merging, and freshly initialised routers attached to a merged checkpoint.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Composition;

/// <summary>Plugin binding and router attachment for merged checkpoints.</summary>
public static class MergeComposition
{
    /// <summary>Binds and validates options for <paramref name="factory"/>; errors become usage errors naming <paramref name="keyPath"/>.</summary>
    public static object? Bind(IComponentCatalog catalog, IPluginFactory factory, JsonObject? options, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        try { return catalog.BindOptions(factory, options, keyPath); }
        catch (ArgumentException e) { throw new ConfigurationException(e.Message, e); }
    }

    /// <summary>Checks that router plugin <paramref name="name"/> exists and accepts <paramref name="options"/> (before any merging); returns them bound.</summary>
    public static object? CheckRouter(IComponentCatalog catalog, string name, JsonObject? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        IRouterFactory factory;
        try { factory = catalog.Router(name); }
        catch (KeyNotFoundException e) { throw new ConfigurationException($"--router: {e.Message}", e); }
        return Bind(catalog, factory, options, "RouterOptions");
    }

    /// <summary>A router built from its plugin for <paramref name="numExperts"/> experts of an MoE block.</summary>
    /// <param name="catalog">Where the router plugin comes from.</param>
    /// <param name="moe">The MoE settings (router plugin, top-k).</param>
    /// <param name="modelDim">Model width d.</param>
    /// <param name="numExperts">Routed experts.</param>
    /// <param name="domainEmbeddings">Per-expert domain embeddings, or null.</param>
    /// <param name="generator">Random source of the router's initialisation.</param>
    /// <param name="options">The router's bound options; null binds <see cref="MoeConfig.RouterOptions"/> (JSON).</param>
    public static RouterModule CreateRouter(IComponentCatalog catalog, MoeConfig moe, int modelDim, int numExperts, Tensor? domainEmbeddings, Generator generator, object? options = null)
    {
        ArgumentNullException.ThrowIfNull(moe);
        var resolver = new Resolver(catalog);
        var router = resolver.Create(moe.Router, new RouterSpec(modelDim, numExperts, moe.TopK)
        {
            Options = options ?? moe.RouterOptions,
            DomainEmbeddings = domainEmbeddings,
            Generator = generator,
            Routers = resolver,
        });
        if (router is ITokenSplittingRouter split)
            throw new ConfigurationException($"--router: router '{moe.Router}' splits tokens into sub-tokens of width {split.SubTokenDim}, so its experts cannot be the dense models' FFNs of width {modelDim}; merge with a router that routes whole tokens (linear, nexus)");
        return router;
    }

    /// <summary>
    /// Adds a freshly initialised router (from its plugin, one generator drawn in layer order) to every MoE layer of
    /// <paramref name="merged"/>; returns the checkpoint with the <c>gate.*</c> tensors and the routers. The merged tensors
    /// are not read: the routers' tensors lie over them (<see cref="TensorOverlay"/>), so a lazily computed merge stays lazy.
    /// </summary>
    /// <param name="merged">The merged checkpoint (an MoE).</param>
    /// <param name="catalog">Where the router plugin comes from.</param>
    /// <param name="seed">Seed of the routers' generator.</param>
    /// <param name="routerOptions">The router's options as bound from the settings (a variant's plan); null binds the config's JSON options once here.</param>
    public static (ModelCheckpoint Checkpoint, List<RouterModule> Routers) AttachRouters(ModelCheckpoint merged, IComponentCatalog catalog, long seed, object? routerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var c = merged.Config;
        var moe = c.Moe ?? throw new ArgumentException("a dense checkpoint has no routers", nameof(merged));
        merged.Tensors.TryGetValue(CanonicalNames.DomainEmbeddings, out var domains);
        if (routerOptions is null)
        {
            // Bound once for every layer's router.
            try { routerOptions = Bind(catalog, catalog.Router(moe.Router), moe.RouterOptions, "RouterOptions"); }
            catch (KeyNotFoundException e) { throw new ConfigurationException($"--router: {e.Message}", e); }
        }
        var generator = new Generator(seed);
        var gates = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var routers = new List<(string Where, RouterModule Router)>();
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            if (!moe.IsMoeLayer(i)) continue;
            var router = CreateRouter(catalog, moe, c.HiddenSize, moe.NumExperts, domains, generator, routerOptions);
            using (no_grad())
                foreach (var (name, t) in router.state_dict()) gates[CanonicalNames.Router(i) + name] = t.detach().clone();
            routers.Add(($"layer {i}", router));
        }
        var form = HuggingFaceRouters.Describe(merged.HuggingFace, routers, moe.Router);
        return (merged with { Tensors = new TensorOverlay(merged.Tensors, gates), HuggingFace = form }, [.. routers.Select(r => r.Router)]);
    }

    /// <summary>Builds routers by name through the catalog (wrapper routers build their inner routers through it too).</summary>
    private sealed class Resolver(IComponentCatalog catalog) : IRouterResolver
    {
        public RouterModule Create(string name, RouterSpec spec)
        {
            ArgumentNullException.ThrowIfNull(spec);
            IRouterFactory factory;
            try { factory = catalog.Router(name); }
            catch (KeyNotFoundException e) { throw new ConfigurationException($"--router: {e.Message}", e); }
            var options = spec.Options is null or JsonObject ? Bind(catalog, factory, (JsonObject?)spec.Options, "RouterOptions") : spec.Options;
            return factory.Create(spec with { Options = options });
        }
    }
}
