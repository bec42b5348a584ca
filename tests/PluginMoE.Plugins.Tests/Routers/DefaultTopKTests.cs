// Each router declares the top-k it uses when a profile sets none (IRouterFactory.DefaultTopK, contract 2.1):
// nexus routes to its top-1 domain expert (Nexus, METHODS.md), the others keep the contract's fallback of 2.
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;

namespace PluginMoE.Plugins.Tests.Routers;

public class DefaultTopKTests
{
    [Fact]
    public void Nexus_DefaultsToTop1_TheOthersToTop2()
    {
        Assert.Equal(1, ((IRouterFactory)new NexusRouterFactory()).DefaultTopK);
        Assert.Equal(2, ((IRouterFactory)new LinearRouterFactory()).DefaultTopK);
        Assert.Equal(2, ((IRouterFactory)new XMoeRouterFactory()).DefaultTopK);
        Assert.Equal(2, ((IRouterFactory)new MultiHeadRouterFactory()).DefaultTopK);
        Assert.Equal(2, IRouterFactory.FallbackTopK);
    }
}
