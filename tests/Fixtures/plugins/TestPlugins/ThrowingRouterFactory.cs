// A router plugin whose constructor throws: the host must report it by name and keep the exception.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.TestPlugins;

[ExportRouter("throwing", Description = "Throws while being created")]
public sealed class ThrowingRouterFactory : IRouterFactory
{
    public ThrowingRouterFactory() => throw new InvalidOperationException("the test plugin refuses to start: no licence key");

    public Type? OptionsType => null;

    public RouterModule Create(RouterSpec spec) => throw new NotSupportedException();
}
