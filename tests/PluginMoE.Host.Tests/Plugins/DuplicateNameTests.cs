// A plugin name exported twice: a first-party plugin keeps its name against a third-party copy, two third-party
// copies are refused unless Plugins:Prefer chooses, and any copy can be selected by its qualified name vendor/name.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Host.Plugins;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Plugins;

public sealed class DuplicateNameTests
{
    // Copies of the first-party router DLL outside the host's plugins folder are third-party plugins whose vendor is
    // the assembly's company ("PluginMoE contributors", from the repository's Authors).
    private const string CopyVendor = "PluginMoE contributors";

    private static string Folder(IRouterFactory factory) => Path.GetDirectoryName(factory.GetType().Assembly.Location)!;

    [Fact]
    public void ThirdPartyCopyOfAFirstPartyName_LeavesTheFirstPartyPluginInUse_AndIsSelectableByVendor()
    {
        using var dir = new PluginDirectory();
        var copy = dir.AddFolder("acme", PluginDirectory.FirstParty("Routers"));
        var registry = PluginLoader.Load([PluginLoader.DefaultDirectory, dir.Path]);

        var linear = registry.Get<IRouterFactory>(PluginKind.Router, "linear");
        Assert.Equal(PluginDirectory.FirstParty("Routers"), Folder(linear));
        Assert.Equal(copy, Folder(registry.Get<IRouterFactory>(PluginKind.Router, $"{CopyVendor}/linear")));
        Assert.Same(linear, registry.Get<IRouterFactory>(PluginKind.Router, "pluginmoe/linear"));
        var note = Assert.Single(registry.Failures);
        Assert.Equal(
            $"router plugin 'linear' in folder '{copy}' (file PluginMoE.Plugins.Routers.dll): exports the name of the first-party router 'linear', which keeps it; " +
            $"to use this one instead, select it as '{CopyVendor}/linear' or set Plugins:Prefer:linear={CopyVendor}", note.Message);
        Assert.Equal(copy, Folder(registry.WithPreferences(new Dictionary<string, string> { ["linear"] = CopyVendor }).Get<IRouterFactory>(PluginKind.Router, "linear")));
    }

    [Fact]
    public void TwoThirdPartyCopies_AreRefused_UntilPluginsPreferChoosesOne()
    {
        using var dir = new PluginDirectory();
        var a = dir.AddFolder("RoutersA", PluginDirectory.FirstParty("Routers"));
        var b = dir.AddFolder("RoutersB", PluginDirectory.FirstParty("Routers"));
        var registry = PluginLoader.Load([dir.Path]);

        var e = Assert.Throws<PluginLoadException>(() => registry.Get<IRouterFactory>(PluginKind.Router, "linear"));
        Assert.Contains("so neither is used; choose one with Plugins:Prefer:linear set to its vendor or plugin folder (e.g. Plugins:Prefer:linear=RoutersA)", e.Message);

        var preferred = registry.WithPreferences(new Dictionary<string, string> { ["linear"] = "RoutersB" });
        Assert.Equal(b, Folder(preferred.Get<IRouterFactory>(PluginKind.Router, "linear")));
        Assert.Equal(["linear"], preferred.Names(PluginKind.Router));
        Assert.Empty(preferred.Failures);
        Assert.Equal(a, Folder(registry.WithPreferences(new Dictionary<string, string> { ["linear"] = a }).Get<IRouterFactory>(PluginKind.Router, "linear")));

        var wrong = registry.WithPreferences(new Dictionary<string, string> { ["linear"] = "nobody" });
        var refused = Assert.Throws<PluginLoadException>(() => wrong.Get<IRouterFactory>(PluginKind.Router, "linear"));
        Assert.Contains("Plugins:Prefer:linear is 'nobody', which matches none of the 2 plugins exporting this name", refused.Message);
    }

    [Fact]
    public void PluginsPrefer_IsASettingOfTheCli()
    {
        using var dir = new PluginDirectory();
        dir.AddFolder("RoutersA", PluginDirectory.FirstParty("Routers"));
        var b = dir.AddFolder("RoutersB", PluginDirectory.FirstParty("Routers"));
        using var cli = new CliHarness();
        var refused = cli.Run("plugins", "list", $"--Plugins:Directories:0={dir.Path}");
        Assert.Contains("so neither is used", refused.Out);
        var (code, output, error) = cli.Run("plugins", "list", $"--Plugins:Directories:0={dir.Path}", "--Plugins:Prefer:linear=RoutersB");
        Assert.True(code == 0, error);
        Assert.Contains("no load failures", output);
        Assert.Matches($@"router\s+linear\s+{CopyVendor}.*{Regex(b)}", output);
    }

    private static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);

    [Fact]
    public void PluginsList_ShowsEveryKind_BuiltInTokenizerIncluded()
    {
        using var cli = new CliHarness();
        var (code, output, error) = cli.Run("plugins", "list");
        Assert.True(code == 0, error);
        Assert.Matches(@"\ntokenizer\s+byte\s+pluginmoe\s.*Byte-level tokenizer.*\(built in\)", output);
        foreach (var kind in PluginKinds.All)
            Assert.Matches($@"\n{Regex(PluginKinds.Display(kind))}\s", output);
        Assert.Matches(@"\nmerge strategy\s+\(none installed\)", output);
    }
}
