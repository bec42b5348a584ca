// Broken plugins: each failure names its folder, file and reason; the other plugins still load; asking for the
// broken one fails with the recorded reason.
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Tests.Plugins;

public class PluginFailureTests
{
    [Fact]
    public void Load_CorruptDll_IsReportedAsNotAnAssemblyAndTheOtherPluginsStillLoad()
    {
        using var dir = new PluginDirectory();
        var broken = dir.AddFile("Broken", "Broken.Router.dll", [.. Enumerable.Range(0, 600).Select(i => (byte)(i * 37 % 251))]);
        dir.AddFolder("Routers", PluginDirectory.FirstParty("Routers"));

        var registry = PluginLoader.Load([dir.Path]);

        var failure = Assert.Single(registry.Failures);
        Assert.Equal(broken, failure.Folder);
        Assert.Equal("Broken.Router.dll", failure.File);
        Assert.Null(failure.PluginName);
        Assert.StartsWith($"plugin in folder '{broken}' (file Broken.Router.dll): cannot be loaded: it is not a valid .NET assembly (", failure.Message);
        Assert.EndsWith("remove it or replace it with a fresh build of the plugin", failure.Message);
        Assert.IsAssignableFrom<BadImageFormatException>(failure.Exception);
        Assert.Equal(["linear", "multi-head", "nexus", "xmoe"], registry.Names(PluginKind.Router));
    }

    [Fact]
    public void Get_UnknownNameWhileAFileFailed_MentionsTheFailedFile()
    {
        using var dir = new PluginDirectory();
        var broken = dir.AddFile("Broken", "Broken.Router.dll", [1, 2, 3]);

        var e = Assert.Throws<PluginNotFoundException>(() => PluginLoader.Load([dir.Path]).Get<IRouterFactory>(PluginKind.Router, "hash"));

        Assert.StartsWith("unknown router plugin 'hash' (none are installed)", e.Message);
        Assert.Contains($"1 plugin file(s) failed to load and may provide it: plugin in folder '{broken}' (file Broken.Router.dll): cannot be loaded", e.Message);
    }

    [Fact]
    public void Load_PluginMissingAPrivateDependency_NamesTheDependencyAndHowToShipIt()
    {
        using var dir = new PluginDirectory();
        var folder = dir.AddFolder("TestPlugins", PluginDirectory.TestPlugins, file => !file.Contains("Helper", StringComparison.Ordinal));

        var registry = PluginLoader.Load([dir.Path]);

        var failure = Assert.Single(registry.Failures);
        Assert.Equal(folder, failure.Folder);
        Assert.Equal("PluginMoE.TestPlugins.dll", failure.File);
        Assert.StartsWith(
            $"plugin in folder '{folder}' (file PluginMoE.TestPlugins.dll): cannot be loaded: it depends on 'PluginMoE.TestPlugins.Helper, Version=",
            failure.Message);
        Assert.Contains("which is neither in the plugin folder (nor listed in its .deps.json) nor provided by the host; " +
            "copy PluginMoE.TestPlugins.Helper.dll into the folder", failure.Message);
        Assert.IsAssignableFrom<FileNotFoundException>(failure.Exception);
    }

    [Fact]
    public void Get_PluginWhoseConstructorThrows_FailsWithTheRecordedReasonAndKeepsTheException()
    {
        using var dir = new PluginDirectory();
        var folder = dir.AddFolder("TestPlugins", PluginDirectory.TestPlugins);
        dir.AddFolder("Routers", PluginDirectory.FirstParty("Routers"));
        var registry = PluginLoader.Load([dir.Path]);

        var failure = registry.Failures.Single(f => f.PluginName == "throwing");
        var e = Assert.Throws<PluginLoadException>(() => registry.Get<IRouterFactory>(PluginKind.Router, "throwing"));

        Assert.Equal(PluginKind.Router, failure.Kind);
        Assert.Equal(
            $"router plugin 'throwing' cannot be used: router plugin 'throwing' in folder '{folder}' (file PluginMoE.TestPlugins.dll): " +
            "creating its export PluginMoE.TestPlugins.ThrowingRouterFactory threw InvalidOperationException: the test plugin refuses to start: no licence key",
            e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Same(failure, e.Failure);
        // The broken export does not take the folder's other exports or other folders down with it.
        Assert.NotNull(registry.Get<ITokenizerFactory>(PluginKind.Tokenizer, "helped"));
        Assert.NotNull(registry.Get<IRouterFactory>(PluginKind.Router, "linear"));
    }

    [Fact]
    public void Load_PluginBuiltAgainstContractMajor3_FailsWithTheVersionMessage()
    {
        using var dir = new PluginDirectory();
        var folder = dir.AddFolder("TestPlugins", PluginDirectory.TestPlugins);
        var registry = PluginLoader.Load([dir.Path]);

        var failure = registry.Failures.Single(f => f.PluginName == "future");
        var e = Assert.Throws<PluginLoadException>(() => registry.Get<IRouterFactory>(PluginKind.Router, "future"));

        Assert.Equal(
            $"router plugin 'future' in folder '{folder}' (file PluginMoE.TestPlugins.dll): built against PluginMoE.Abstractions contract 3.x, " +
            "but this host supports 2.x; rebuild it against the PluginMoE.Abstractions 2.x package",
            failure.Message);
        Assert.EndsWith(failure.Message, e.Message);
        Assert.DoesNotContain(registry.Plugins, p => p.Name == "future");
    }

    [Fact]
    public void Load_SameNameInTwoFolders_ListsBothLocationsAndUsesNeither()
    {
        using var dir = new PluginDirectory();
        var a = dir.AddFolder("RoutersA", PluginDirectory.FirstParty("Routers"));
        var b = dir.AddFolder("RoutersB", PluginDirectory.FirstParty("Routers"));
        dir.AddFolder("Experts", PluginDirectory.FirstParty("Experts"));
        var registry = PluginLoader.Load([dir.Path]);

        Assert.Equal(["linear", "multi-head", "nexus", "xmoe"], registry.Failures.Select(f => f.PluginName).Order()); // every router of the assembly
        var failure = registry.Failures.Single(f => f.PluginName == "linear");
        var e = Assert.Throws<PluginLoadException>(() => registry.Get<IRouterFactory>(PluginKind.Router, "linear"));

        Assert.Equal(
            $"router plugin 'linear' in folder '{a}' (file PluginMoE.Plugins.Routers.dll): the same name is also exported from folder '{b}' " +
            "(file PluginMoE.Plugins.Routers.dll, class PluginMoE.Plugins.Routers.LinearRouterFactory), so neither is used; " +
            "choose one with Plugins:Prefer:linear set to its vendor or plugin folder (e.g. Plugins:Prefer:linear=RoutersA), " +
            "or remove one of them from the plugin directories",
            failure.Message);
        Assert.Contains(failure.Message, e.Message);
        Assert.Empty(registry.Names(PluginKind.Router));
        Assert.Equal(["gelu", "null", "swiglu"], registry.Names(PluginKind.Expert));
    }

    [Fact]
    public void Load_MissingDirectory_IsRecordedNotThrown()
    {
        var missing = Path.Combine(Path.GetTempPath(), "pluginmoe-no-such-plugins-" + Guid.NewGuid().ToString("N")[..8]);

        var registry = PluginLoader.Load([missing]);

        var failure = Assert.Single(registry.Failures);
        Assert.Equal($"plugin in folder '{missing}': the plugin directory does not exist; create it or point the host at an existing one", failure.Message);
        Assert.Equal(["byte"], registry.Plugins.Select(p => p.Name)); // only the built-in tokenizer
    }
}
