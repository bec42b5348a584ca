// SLOW (pack + restore + build, about half a minute): the third-party sample is built against the packed
// PluginMoE.Abstractions package, dropped into a plugins folder, listed by `pluginmoe plugins list`, selected by a
// profile that `pluginmoe run` trains, and trained through Core directly to check that its routing learns.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;
using PluginMoE.Core.Training;
using PluginMoE.Host.Plugins;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Tests.Samples;

public class ThirdPartyRouterSampleTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    [Trait("Category", "Slow")]
    public void Sample_BuiltAgainstThePackedAbstractions_IsDiscoveredAndTrainsAnMoeAsItsRouter()
    {
        var repo = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("pluginmoe-sample-").FullName;
        try
        {
            // 1. Pack the contracts into a local feed (from this configuration's build outputs: no rebuild).
            var feed = Path.Combine(work, "feed");
            var none = new Dictionary<string, string>();
            DotnetCli.Run(repo, none, "pack", "src/Tensors", "-c", Configuration, "--no-build", "-o", feed);
            DotnetCli.Run(repo, none, "pack", "src/Abstractions", "-c", Configuration, "--no-build", "-o", feed);
            Assert.True(File.Exists(Path.Combine(feed, $"PluginMoE.Abstractions.{PluginMoE.Abstractions.PluginContract.Major}.{PluginMoE.Abstractions.PluginContract.Minor}.0.nupkg")));

            // 2. Build a copy of the sample against that feed. A fresh package cache keeps the packed packages from
            //    leaking into (or being served stale from) the user's cache; the user's and the machine's package
            //    folders serve everything else, so no network is needed.
            var sample = Path.Combine(work, "ThirdPartyRouter");
            Directory.CreateDirectory(sample);
            foreach (var file in Directory.GetFiles(Path.Combine(repo, "samples", "ThirdPartyRouter")))
                File.Copy(file, Path.Combine(sample, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(sample, "nuget.config"), NuGetConfig(feed));
            DotnetCli.Run(sample, new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") },
                "build", "-c", "Release", "-p:TreatWarningsAsErrors=true");
            var dll = Path.Combine(sample, "bin", "Release", "net10.0", "ThirdPartyRouter.dll");

            // 3. Drop the DLL into a plugins folder; the registry lists it beside the first-party plugins.
            var plugins = Path.Combine(work, "plugins", "lsh");
            Directory.CreateDirectory(plugins);
            File.Copy(dll, Path.Combine(plugins, "ThirdPartyRouter.dll"));
            var registry = PluginLoader.Load([Path.Combine(work, "plugins"), PluginLoader.DefaultDirectory]);

            Assert.Empty(registry.Failures);
            var lsh = registry.Plugins.Single(p => p.Kind == PluginKind.Router && p.Name == "lsh");
            Assert.StartsWith("Parameter-free LSH hash router", lsh.Description);
            Assert.Equal(PluginMoE.Abstractions.PluginContract.Version, lsh.ContractVersion); // built against this contract
            Assert.Equal("1.0.0", lsh.Version);
            Assert.Equal(plugins, lsh.SourceFolder);
            Assert.Equal(["linear", "lsh", "multi-head", "nexus", "xmoe"], registry.Names(PluginKind.Router));

            // 4. The CLI lists it, and `run` trains a profile that selects it as the router.
            using var cli = new CliHarness();
            string[] dirs = [$"--Plugins:Directories:0={Path.Combine(work, "plugins")}", $"--Plugins:Directories:1={PluginLoader.DefaultDirectory}"];
            var (listCode, listOut, listErr) = cli.Run(["plugins", "list", .. dirs]);
            Assert.True(listCode == 0, listErr);
            Assert.Contains("lsh", listOut);
            Assert.Contains("Parameter-free LSH hash router", listOut);
            TinyProfile.Write(cli);
            var runDir = Path.Combine(work, "run");
            var (runCode, _, runErr) = cli.Run(["run", "--profile", "tiny", "--run-dir", runDir, "--Model:Moe:Router=lsh", .. dirs]);
            Assert.True(runCode == 0, runErr);
            Assert.True(File.Exists(Path.Combine(runDir, "train", "eval.json")));
            Assert.Contains("\"lsh\"", File.ReadAllText(Path.Combine(runDir, "train", "model", "config.json")));

            // 4b. README step 6 as written: the sample's profile (the one the README shows) extends train-small and
            //     selects the plugin from my-plugins/lsh; a short run trains with it.
            var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
            var profile = Path.Combine(repo, "samples", "ThirdPartyRouter", "profiles", "lsh.json");
            Assert.Contains(File.ReadAllText(profile).Trim().Replace("\n", "\n   ", StringComparison.Ordinal), readme);
            var step6 = Assert.Single(ShellCommands.Blocks(readme), b => b.Marker?.Contains(ReadmeCommandTests.SampleMarker, StringComparison.Ordinal) == true);
            using (var docs = new DocsCli())
            {
                docs.Copy(dll, Path.Combine("my-plugins", "lsh", "ThirdPartyRouter.dll"));
                docs.Copy(profile, Path.Combine("samples", "ThirdPartyRouter", "profiles", "lsh.json"));
                foreach (var command in step6.CliCommands)
                    Assert.Contains("done:", docs.Succeeds(command.WithSteps(ReadmeCommandTests.Steps(step6) ?? 2)));
                var lshRun = Directory.GetDirectories(Path.Combine(docs.WorkingDirectory, "runs")).Single();
                Assert.Contains("\"lsh\"", File.ReadAllText(Path.Combine(lshRun, "train", "model", "config.json")));
            }

            // 5. Through Core directly, the plugin's router learns: the loss falls and tokens spread over experts.
            var losses = Train(registry, out var model, out var load);
            Assert.Contains("model.layers.0.mlp.gate.projection", model.state_dict().Keys);
            Assert.All(losses, l => Assert.True(double.IsFinite(l)));
            Assert.True(losses.TakeLast(5).Average() < losses[0] - 0.3, $"loss did not fall: {string.Join(", ", losses)}");
            Assert.True(load.Count(c => c > 0) >= 2, $"all tokens went to one expert: {string.Join(", ", load)}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static List<double> Train(PluginRegistry registry, out TransformerLM model, out long[] load)
    {
        var config = new ModelConfig
        {
            VocabSize = 256, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 32, Moe = new MoeConfig { NumExperts = 4, TopK = 2, Router = "lsh" },
        };
        model = new TransformerLM(config, registry.ToCatalog(), new Generator(7));
        Assert.IsAssignableFrom<IRouter>(model.MoeLayers[0].Block.Router);
        var text = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40));
        var corpus = TokenCorpus.FromStreams(new Dictionary<string, int[]> { ["text"] = [.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)] });
        var observer = new Recorder();
        var options = new TrainerOptions { Steps = 40, BatchSize = 4, SequenceLength = 24, WarmupSteps = 4, LearningRate = 1e-2, Seed = 1 };
        new Trainer(model, corpus, options, observer: observer).Train();
        load = observer.Load;
        return observer.Losses;
    }

    private sealed class Recorder : ITrainingObserver
    {
        public List<double> Losses { get; } = [];

        public long[] Load { get; private set; } = [];

        public void OnStep(TrainingStep step)
        {
            Losses.Add(step.Loss);
            Load = step.ExpertLoad.Single().Counts;
        }

        public void OnEvaluation(long step, EvaluationResult result) { }
    }

    private static string NuGetConfig(string feed)
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallbacks = new[] { home, "/opt/nuget/packages" }.Where(Directory.Exists)
            .Select((f, i) => $"    <add key=\"fallback{i}\" value=\"{f}\" />");
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="pluginmoe-local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <fallbackPackageFolders>
            {string.Join("\n", fallbacks)}
              </fallbackPackageFolders>
            </configuration>
            """;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PluginMoE.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no PluginMoE.sln above {AppContext.BaseDirectory}");
    }
}
