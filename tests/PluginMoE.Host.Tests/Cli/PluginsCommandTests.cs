// `pluginmoe plugins list`: the first-party plugins with their details, and load failures with their reasons.
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class PluginsCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void PluginsList_ShowsEveryFirstPartyPluginWithKindVersionAndFolder()
    {
        var (code, output, error) = _cli.Run("plugins", "list");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("KIND", lines[1]);
        var linear = Assert.Single(lines, l => l.StartsWith("router", StringComparison.Ordinal) && l.Contains(" linear "));
        Assert.Contains("BTX/Mixtral/Switch learned linear router", linear);
        Assert.EndsWith(Path.Combine("plugins", "PluginMoE.Plugins.Routers"), linear);
        foreach (var name in new[] { "nexus", "xmoe", "multi-head", "swiglu", "gelu", "text-folder", "jsonl" })
            Assert.Contains(lines, l => l.Contains($" {name} "));
        Assert.Contains("no load failures", output);
    }

    [Fact]
    public void PluginsList_BrokenPlugins_AreListedWithTheirReasons()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "test-plugins");
        var (code, output, error) = _cli.Run("plugins", "list", $"--Plugins:Directories:0={dir}");
        Assert.True(code == 0, error);
        Assert.Matches(@"\d+ load failure\(s\):", output);
        Assert.Contains("router plugin 'throwing' in folder", output);
        Assert.Contains("router plugin 'future' in folder", output);
    }
}
