// The catalog tests compose models from: the first-party router and expert plugins, registered by hand.
using PluginMoE.Core.Composition;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;

namespace PluginMoE.Core.Tests;

internal static class TestCatalog
{
    public static ComponentCatalog Create() => new ComponentCatalog()
        .AddRouter("linear", new LinearRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory())
        .AddExpert("gelu", new GeluExpertFactory());
}
