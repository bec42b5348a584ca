// Builds routers and experts from a model configuration through the catalog: resolves the plugin by name and
// binds its JSON options (errors name the config key).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Composition;

/// <summary>Creates plugin modules named by a <see cref="ModelConfig"/>.</summary>
internal static class PluginBuilder
{
    /// <summary>An expert of the config's <see cref="ModelConfig.ExpertType"/> at the given widths (dense FFNs, shared experts, extension).</summary>
    public static ExpertModule Expert(
        IComponentCatalog catalog, ModelConfig config, int modelDim, int hiddenDim, Generator generator, ScalarType dtype) =>
        Expert(catalog, config.ExpertType, config.ExpertOptions, nameof(ModelConfig.ExpertOptions), modelDim, hiddenDim, generator, dtype);

    /// <summary>Routed expert <paramref name="index"/> of an MoE block: its plugin and options from <see cref="ModelConfig.RoutedExpert"/> (expert groups).</summary>
    public static ExpertModule RoutedExpert(
        IComponentCatalog catalog, ModelConfig config, int index, int modelDim, int hiddenDim, Generator generator, ScalarType dtype)
    {
        var (plugin, options) = config.RoutedExpert(index);
        string key = config.Moe?.ExpertGroups is null ? nameof(ModelConfig.ExpertOptions) : $"{nameof(ModelConfig.Moe)}:{nameof(MoeConfig.ExpertGroups)} (expert {index}, '{plugin}') options";
        return Expert(catalog, plugin, options, key, modelDim, hiddenDim, generator, dtype);
    }

    private static ExpertModule Expert(
        IComponentCatalog catalog, string plugin, JsonObject? json, string keyPath, int modelDim, int hiddenDim, Generator generator, ScalarType dtype)
    {
        var factory = catalog.Expert(plugin);
        var options = catalog.BindOptions(factory, json, keyPath);
        return factory.Create(new ExpertSpec(modelDim, hiddenDim) { Options = options, Generator = generator, DType = dtype })
            ?? throw new InvalidOperationException($"expert plugin '{plugin}' returned null from Create");
    }

    /// <summary>The router of an MoE block, from <see cref="MoeConfig.Router"/> and its options.</summary>
    public static RouterModule Router(
        IComponentCatalog catalog, MoeConfig moe, int modelDim, Generator generator, ScalarType dtype, Tensor? domainEmbeddings)
    {
        var resolver = new CatalogRouterResolver(catalog);
        var spec = new RouterSpec(modelDim, moe.NumExperts, moe.TopK)
        {
            Options = moe.RouterOptions,
            DomainEmbeddings = domainEmbeddings,
            Generator = generator,
            DType = dtype,
            Routers = resolver,
        };
        return resolver.Create(moe.Router, spec, $"{nameof(ModelConfig.Moe)}:{nameof(MoeConfig.RouterOptions)}");
    }

    /// <summary>Lets wrapper routers (multi-head) build inner routers by name through the same catalog.</summary>
    private sealed class CatalogRouterResolver(IComponentCatalog catalog) : IRouterResolver
    {
        public RouterModule Create(string name, RouterSpec spec) => Create(name, spec, "RouterOptions");

        public RouterModule Create(string name, RouterSpec spec, string keyPath)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var factory = catalog.Router(name);
            // Options may arrive as JSON (from a config) or already bound (from a wrapper router that bound them itself).
            var options = spec.Options is null or JsonObject
                ? catalog.BindOptions(factory, (JsonObject?)spec.Options, keyPath)
                : spec.Options;
            return factory.Create(spec with { Options = options })
                ?? throw new InvalidOperationException($"router plugin '{name}' returned null from Create");
        }
    }
}
