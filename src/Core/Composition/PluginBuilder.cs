// Builds routers and experts from a bound model plan through the catalog: resolves the plugin by name and hands its
// factory the plan's typed options instance (bound once, when the plan was made).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Composition;

/// <summary>Creates plugin modules named by a <see cref="ModelPlan"/>.</summary>
internal static class PluginBuilder
{
    /// <summary>An expert of the plan's <see cref="ModelConfig.ExpertType"/> at the given widths (dense FFNs, shared experts, extension).</summary>
    public static ExpertModule Expert(
        IComponentCatalog catalog, ModelPlan plan, int modelDim, int hiddenDim, Generator generator, ScalarType dtype) =>
        Expert(catalog, plan.Config.ExpertType, plan.ExpertOptions, modelDim, hiddenDim, generator, dtype);

    /// <summary>Routed expert <paramref name="index"/> of an MoE block: its plugin and options from <see cref="ModelPlan.RoutedExpert"/> (expert groups).</summary>
    public static ExpertModule RoutedExpert(
        IComponentCatalog catalog, ModelPlan plan, int index, int modelDim, int hiddenDim, Generator generator, ScalarType dtype)
    {
        var (plugin, options) = plan.RoutedExpert(index);
        return Expert(catalog, plugin, options, modelDim, hiddenDim, generator, dtype);
    }

    private static ExpertModule Expert(
        IComponentCatalog catalog, string plugin, object? options, int modelDim, int hiddenDim, Generator generator, ScalarType dtype) =>
        Created(() => catalog.Expert(plugin).Create(new ExpertSpec(modelDim, hiddenDim) { Options = options, Generator = generator, DType = dtype }),
            $"expert plugin '{plugin}'", "expert");

    /// <summary>The router of an MoE block, from <see cref="MoeConfig.Router"/> and the plan's router options.</summary>
    public static RouterModule Router(
        IComponentCatalog catalog, ModelPlan plan, int modelDim, Generator generator, ScalarType dtype, Tensor? domainEmbeddings)
    {
        var moe = plan.Config.Moe!;
        var resolver = new CatalogRouterResolver(catalog);
        var spec = new RouterSpec(modelDim, moe.NumExperts, moe.TopK)
        {
            Options = plan.RouterOptions,
            DomainEmbeddings = domainEmbeddings,
            Generator = generator,
            DType = dtype,
            Routers = resolver,
        };
        return resolver.Create(moe.Router, spec, $"{nameof(ModelConfig.Moe)}:{nameof(MoeConfig.RouterOptions)}");
    }

    /// <summary>
    /// What a plugin's Create returns, or an error that names the plugin: an <see cref="ArgumentException"/> (the plugin
    /// refuses its options or the model's shape, in its own words) passes through; anything else thrown by the plugin
    /// becomes an <see cref="InvalidOperationException"/> naming it.
    /// </summary>
    private static T Created<T>(Func<T?> create, string plugin, string what) where T : class
    {
        T? module;
        try { module = create(); }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException or PluginUnavailableException or KeyNotFoundException or ArgumentException))
        {
            throw new InvalidOperationException($"{plugin} failed to build its {what}: {e.GetType().Name}: {e.Message}", e);
        }
        return module ?? throw new InvalidOperationException($"{plugin} returned null from Create");
    }

    /// <summary>Lets wrapper routers (multi-head) build inner routers by name through the same catalog.</summary>
    private sealed class CatalogRouterResolver(IComponentCatalog catalog) : IRouterResolver
    {
        public RouterModule Create(string name, RouterSpec spec) => Create(name, spec, "RouterOptions");

        public RouterModule Create(string name, RouterSpec spec, string keyPath)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var factory = catalog.Router(name);
            // Options arrive bound: the plan's, or a wrapper router's for its inner router (NestedPluginOptions, bound with the
            // wrapper's options). JSON arrives only from a wrapper whose options were built in code without the host (or a
            // third-party wrapper that passes JSON): that is bound here. Null binds the plugin's defaults.
            var options = spec.Options is JsonObject || (spec.Options is null && factory.OptionsType is not null)
                ? catalog.BindOptions(factory, (JsonObject?)spec.Options, keyPath)
                : spec.Options;
            return Created(() => factory.Create(spec with { Options = options }), $"router plugin '{name}' ({keyPath})", "router");
        }
    }
}
