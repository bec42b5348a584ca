// Builds routers and experts from a model configuration through the catalog: resolves the plugin by name,
// binds its JSON options (errors name the config key) and checks that the result is a torch.nn.Module.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Composition;

/// <summary>Creates plugin modules named by a <see cref="ModelConfig"/>.</summary>
internal static class PluginBuilder
{
    /// <summary>An expert of the config's <see cref="ModelConfig.ExpertType"/> at the given widths.</summary>
    public static (IExpert Expert, nn.Module Module) Expert(
        IComponentCatalog catalog, ModelConfig config, int modelDim, int hiddenDim, Generator generator, ScalarType dtype)
    {
        var factory = catalog.Expert(config.ExpertType);
        var options = catalog.BindOptions(factory, config.ExpertOptions, nameof(ModelConfig.ExpertOptions));
        var expert = factory.Create(new ExpertSpec(modelDim, hiddenDim) { Options = options, Generator = generator, DType = dtype });
        return (expert, AsModule(expert, $"expert plugin '{config.ExpertType}'"));
    }

    /// <summary>The router of an MoE block, from <see cref="MoeConfig.Router"/> and its options.</summary>
    public static (IRouter Router, nn.Module Module) Router(
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
        var router = resolver.Create(moe.Router, spec, $"{nameof(ModelConfig.Moe)}:{nameof(MoeConfig.RouterOptions)}");
        return (router, AsModule(router, $"router plugin '{moe.Router}'"));
    }

    /// <summary>The plugin's object as a module (its parameters must be part of the model).</summary>
    public static nn.Module AsModule(object component, string what) => component as nn.Module
        ?? throw new InvalidOperationException(
            $"{what} returned {component.GetType().FullName}, which does not derive from torch.nn.Module; " +
            "routers and experts must be modules so that their parameters are trained and saved");

    /// <summary>Lets wrapper routers (multi-head) build inner routers by name through the same catalog.</summary>
    private sealed class CatalogRouterResolver(IComponentCatalog catalog) : IRouterResolver
    {
        public IRouter Create(string name, RouterSpec spec) => Create(name, spec, "RouterOptions");

        public IRouter Create(string name, RouterSpec spec, string keyPath)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var factory = catalog.Router(name);
            // Options may arrive as JSON (from a config) or already bound (from a wrapper router that bound them itself).
            var options = spec.Options is null or JsonObject
                ? catalog.BindOptions(factory, (JsonObject?)spec.Options, keyPath)
                : spec.Options;
            return factory.Create(spec with { Options = options });
        }
    }
}
