// A router plugin that claims a future contract major version: the host must refuse it with a version message.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.TestPlugins;

[ExportRouter("future", Description = "Built against contract 3.x", ContractMajor = 3)]
public sealed class FutureRouterFactory : IRouterFactory
{
    public Type? OptionsType => null;

    public RouterModule Create(RouterSpec spec) => throw new NotSupportedException();
}
