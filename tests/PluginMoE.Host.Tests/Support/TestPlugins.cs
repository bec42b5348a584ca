// The first-party plugins as the host discovers them (plugins/ beside the test assembly), loaded once per test run.
using PluginMoE.Host.Cli;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Tests.Support;

public static class TestPlugins
{
    private static readonly Lazy<RegistryPluginProvider> Shared = new(() => new RegistryPluginProvider(PluginLoader.Load([PluginLoader.DefaultDirectory])));

    public static RegistryPluginProvider Instance => Shared.Value;
}
