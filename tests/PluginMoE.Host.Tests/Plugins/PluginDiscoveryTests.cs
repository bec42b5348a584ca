// Discovery of working plugins: the first-party plugins beside the host, types shared with the host, catalog for Core.
using System.Runtime.Loader;
using PluginMoE.Abstractions;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Model;
using PluginMoE.Host.Plugins;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Host.Tests.Plugins;

public class PluginDiscoveryTests
{
    private static readonly Lazy<PluginRegistry> Default = new(() => PluginLoader.Load([PluginLoader.DefaultDirectory]));

    [Fact]
    public void Load_DefaultDirectory_FindsEveryFirstPartyPluginWithoutFailures()
    {
        var registry = Default.Value;

        Assert.Empty(registry.Failures);
        Assert.Equal(["linear", "multi-head", "nexus", "xmoe"], registry.Names(PluginKind.Router));
        Assert.Equal(["gelu", "null", "swiglu"], registry.Names(PluginKind.Expert));
        Assert.Equal(["jsonl", "local-corpus", "synthetic", "text-folder"], registry.Names(PluginKind.DatasetLoader));
        Assert.Equal(["hidden-mean", "tfidf"], registry.Names(PluginKind.DomainEmbedder));
        Assert.Equal(["kmeans-balanced"], registry.Names(PluginKind.DocumentClusterer));
        var linear = registry.Plugins.Single(p => p.Name == "linear");
        Assert.Equal(PluginKind.Router, linear.Kind);
        Assert.Equal("BTX/Mixtral/Switch learned linear router: top-k, switch, soft, sample-top1 (arXiv 2403.07816)", linear.Description);
        Assert.Equal(PluginContract.Version, linear.ContractVersion);
        Assert.Equal(PluginDirectory.FirstParty("Routers"), linear.SourceFolder);
        Assert.Equal(Path.Combine(linear.SourceFolder, "PluginMoE.Plugins.Routers.dll"), linear.AssemblyPath);
        Assert.Equal("PluginMoE.Plugins.Routers.LinearRouterFactory", linear.TypeName);
        Assert.False(string.IsNullOrEmpty(linear.Version));
    }

    [Fact]
    public void Get_FirstPartyRouter_ComesFromItsOwnLoadContextAndSharesTheHostContracts()
    {
        var factory = Default.Value.Get<IRouterFactory>(PluginKind.Router, "LINEAR");

        // The plugin's own types live in its folder's context; the contracts it implements are the host's.
        Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(factory.GetType().Assembly));
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IRouterFactory).Assembly));
        var router = factory.Create(new RouterSpec(8, 4, 2) { Generator = new Generator(1) });
        var routing = router.Route(randn([5, 8], generator: new Generator(2)), RoutingContext.Evaluation);
        Assert.Equal([5L, 2L], routing.Indices.shape);
        Assert.Equal([5L, 4L], routing.Probabilities!.shape);
    }

    [Fact]
    public void Get_UnknownName_ListsTheAvailableNamesTheClosestAndTheDirectories()
    {
        var e = Assert.Throws<PluginNotFoundException>(() => Default.Value.Get<IRouterFactory>(PluginKind.Router, "linaer"));

        Assert.StartsWith("unknown router plugin 'linaer' (available: linear, multi-head, nexus, xmoe); did you mean 'linear'?", e.Message);
        Assert.Contains($"Plugin directories searched: {PluginLoader.DefaultDirectory}", e.Message);
        Assert.IsAssignableFrom<KeyNotFoundException>(e);
    }

    [Fact]
    public void Get_KindWithoutPlugins_SaysNoneAreInstalled()
    {
        var e = Assert.Throws<PluginNotFoundException>(() => Default.Value.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, "tfidf"));

        Assert.StartsWith("unknown domain embedder plugin 'tfidf' (none are installed)", e.Message);
    }

    [Fact]
    public void Get_WithTheWrongContractType_SaysWhichContractTheKindHas()
    {
        var e = Assert.Throws<ArgumentException>(() => Default.Value.Get<IExpertFactory>(PluginKind.Router, "linear"));

        Assert.StartsWith("router plugins implement IRouterFactory, not IExpertFactory", e.Message);
    }

    [Fact]
    public void ToCatalog_BuildsAnMoeModelFromTheDiscoveredRouterAndExperts()
    {
        var catalog = Default.Value.ToCatalog();
        var config = new ModelConfig
        {
            VocabSize = 32, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 8, ExpertType = "gelu", Moe = new MoeConfig { NumExperts = 3, TopK = 2, Router = "linear" },
        };

        var model = new TransformerLM(config, catalog, new Generator(3));
        var output = model.forward(tensor(new long[] { 1, 2, 3, 4, 5, 6 }).view(1, 6));

        Assert.Equal([1L, 6L, 32L], output.Logits.shape);
        Assert.True(double.IsFinite(output.AuxLoss.ToDouble()));
        var e = Assert.Throws<PluginNotFoundException>(() => catalog.Router("hash"));
        Assert.StartsWith("unknown router plugin 'hash' (available: linear, multi-head, nexus, xmoe)", e.Message);
    }

    [Fact]
    public void ToCatalog_BindsPluginOptionsWithKeyPathErrors()
    {
        var catalog = Default.Value.ToCatalog();
        var factory = catalog.Router("linear");

        var e = Assert.Throws<ArgumentException>(() =>
            catalog.BindOptions(factory, new System.Text.Json.Nodes.JsonObject { ["Normalise"] = "x" }, "Model:Moe:RouterOptions"));

        Assert.StartsWith("Model:Moe:RouterOptions:Normalise: unknown option", e.Message);
    }

    [Fact]
    public void Load_FolderCarryingCopiesOfTheContracts_StillUsesTheHostCopies()
    {
        using var dir = new PluginDirectory();
        var folder = dir.AddFolder("Routers", PluginDirectory.FirstParty("Routers"));
        foreach (var shared in new[] { typeof(PluginContract).Assembly.Location, typeof(Tensor).Assembly.Location })
            File.Copy(shared, Path.Combine(folder, Path.GetFileName(shared)));

        var registry = PluginLoader.Load([dir.Path]);

        Assert.Empty(registry.Failures);
        Assert.IsAssignableFrom<IRouterFactory>(registry.Get<IRouterFactory>(PluginKind.Router, "linear"));
    }

    [Fact]
    public void Load_PluginWithAPrivateDependency_ResolvesItFromThePluginFolder()
    {
        using var dir = new PluginDirectory();
        dir.AddFolder("TestPlugins", PluginDirectory.TestPlugins);

        var tokenizer = PluginLoader.Load([dir.Path]).Get<ITokenizerFactory>(PluginKind.Tokenizer, "helped").Create(null);

        Assert.Equal("helped!", tokenizer.Decode(tokenizer.Encode("!")));
    }

    [Fact]
    public void Load_DllDroppedDirectlyIntoTheDirectory_IsDiscovered()
    {
        using var dir = new PluginDirectory();
        File.Copy(Path.Combine(PluginDirectory.FirstParty("Experts"), "PluginMoE.Plugins.Experts.dll"), Path.Combine(dir.Path, "PluginMoE.Plugins.Experts.dll"));

        var registry = PluginLoader.Load([dir.Path]);

        Assert.Equal(["gelu", "null", "swiglu"], registry.Names(PluginKind.Expert));
        Assert.Equal(dir.Path, registry.Plugins[0].SourceFolder);
    }

    [Fact]
    public void Load_SeveralDirectories_CombinesTheirPlugins()
    {
        using var a = new PluginDirectory();
        using var b = new PluginDirectory();
        a.AddFolder("Routers", PluginDirectory.FirstParty("Routers"));
        b.AddFolder("Experts", PluginDirectory.FirstParty("Experts"));

        var registry = PluginLoader.Load([a.Path, b.Path]);

        Assert.Equal(["linear", "multi-head", "nexus", "xmoe", "gelu", "null", "swiglu", "byte"], registry.Plugins.Select(p => p.Name)); // byte: built into Core
        Assert.Equal([a.Path, b.Path], registry.Directories);
    }

    [Fact]
    public void PluginMetadata_IsFilledFromTheExportAttributeBySystemComposition()
    {
        var swiglu = Default.Value.Plugins.Single(p => p.Name == "swiglu");

        Assert.Equal(PluginKind.Expert, swiglu.Kind);
        Assert.Equal($"{PluginContract.Major}.{PluginContract.Minor}", swiglu.ContractVersion);
        Assert.False(string.IsNullOrWhiteSpace(swiglu.Description));
    }

    [Fact]
    public void AbstractionsVersions_FollowTheContractVersion()
    {
        var assembly = typeof(PluginContract).Assembly;
        var informational = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;

        // The host tells plugins built against another major version by their reference to this assembly version.
        Assert.Equal(new Version(PluginContract.Major, 0, 0, 0), assembly.GetName().Version);
        Assert.StartsWith($"{PluginContract.Major}.{PluginContract.Minor}.", informational);
    }
}
