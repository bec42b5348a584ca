// What `run` says about bad input before any work: every problem at once (settings, cross-field checks, plugins
// and their options), plugin option errors that name the plugin and key, plugin load failures as warnings, a
// missing profile; and what it prints while and after it works (periodic evaluations, the closing summary).
using PluginMoE.Host.Plugins;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class RunInputCheckTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public RunInputCheckTests() => TinyProfile.Write(_cli);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Run_ReportsEveryProblemAtOnce_CrossFieldChecksAndPluginsIncluded()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1",
            "--Model:Moe:Experts=4", "--Model:Moe:TopK=8", "--Model:Heads=0", "--Model:Layers=x", "--Model:Moe:Router=linaer",
            "--Training:Stepz=5", "--Data:LoaderOptions:MaxFilesPerDomain=lots", "--stages", "train,trian");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("pluginmoe: error: 7 configuration errors in profile 'tiny'", error);
        Assert.Contains("Model:Layers: value 'x' is not allowed: expected a whole number", error);
        Assert.Contains("Model:Heads: value 0 is not allowed: allowed values are 1 to 1024", error);
        Assert.Contains("Model:Moe:TopK: value 8 is not allowed: must be at most Moe:Experts (4)", error);
        Assert.Contains("Training:Stepz: unknown setting", error);
        Assert.Contains("Model:Moe:Router: unknown router plugin 'linaer'", error);
        Assert.Contains("Data:LoaderOptions:MaxFilesPerDomain: value \"lots\" is not a valid integer (dataset loader plugin 'text-folder')", error);
        Assert.Contains("--stages: unknown stage 'trian'", error);
        Assert.DoesNotContain("Attempted to divide by zero", error);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "run1")));
    }

    [Fact]
    public void PluginOptionErrors_NameThePluginAndTheKey_NotTheOptionsClass()
    {
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--Data:LoaderOptions:MaxFilesPerDomian=3", "--Data:LoaderOptions:MaxBytesPerFile=big");
        Assert.Equal(2, code);
        Assert.Contains("Data:LoaderOptions:MaxFilesPerDomian: unknown option of dataset loader plugin 'text-folder'; known options:", error);
        Assert.Contains("did you mean 'MaxFilesPerDomain'?", error);
        Assert.Contains("Data:LoaderOptions:MaxBytesPerFile: value \"big\" is not a valid integer (dataset loader plugin 'text-folder')", error);
        Assert.DoesNotContain("TextFolder", error);
        Assert.DoesNotContain("options class", error);
        Assert.DoesNotContain("?,", error);
        Assert.DoesNotContain("integer?", error);
    }

    [Fact]
    public void Run_WithoutAProfile_SaysSoAndListsTheAvailableOnes()
    {
        var (code, _, error) = _cli.Run("run", "--Training:Steps=2");
        Assert.Equal(2, code);
        Assert.Contains("pluginmoe: error: run: no profile was given; pass --profile <name> (available profiles: tiny) or a path to a .json file, or set PLUGINMOE_PROFILE", error);
        Assert.DoesNotContain("Data:LoaderOptions", error);
    }

    [Fact]
    public void Run_PrintsPluginLoadFailuresAsOneLineWarningsAtStart_AndStillRuns()
    {
        string broken = Path.Combine(_cli.WorkingDirectory, "more-plugins", "Broken");
        Directory.CreateDirectory(broken);
        File.WriteAllBytes(Path.Combine(broken, "Broken.Router.dll"), [1, 2, 3]);
        var (code, output, error) = _cli.RunWith(env => env with { LoadPlugins = dirs => PluginLoader.Load([PluginLoader.DefaultDirectory, .. dirs.Skip(1)]) },
            CancellationToken.None, "run", "--profile", "tiny", "--run-dir", "run1", "--Plugins:Directories:0=more-plugins");
        Assert.True(code == 0, error);
        var warnings = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("pluginmoe: warning: ", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.StartsWith($"pluginmoe: warning: plugin in folder '{broken}' (file Broken.Router.dll): cannot be loaded: it is not a valid .NET assembly", warning);
        Assert.Contains("done:", output);
    }

    [Fact]
    public void Run_PrintsEachPeriodicEvaluation_AndEndsWithASummary()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1");
        Assert.True(code == 0, error);
        Assert.Matches(@"train: step 2/4: validation loss \d+\.\d{4}, perplexity code \d+\.\d{3}, prose \d+\.\d{3}", output);
        Assert.Matches(@"train: step 4/4: validation loss \d+\.\d{4}, perplexity code \d+\.\d{3}, prose \d+\.\d{3}", output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^done: .+run1 in \d+:\d\d:\d\d \(wall time\)$", lines[^2]);
        Assert.Matches(@"^train: steps 1-4 of 4 in \d\d:\d\d:\d\d, mean [\d,]+ tokens/s; final validation perplexity code \d+\.\d{3}, prose \d+\.\d{3}; test perplexity code \d+\.\d{3}, prose \d+\.\d{3}$", lines[^1]);
    }

    [Fact]
    public void PlainProgress_OfAnOpenEndedTask_PrintsTheStatusOnceNotTheCountTwice()
    {
        var (code, output, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "run1");
        Assert.True(code == 0, error);
        Assert.Matches(@"loading data \(text-folder\): 8 documents, \d+ KiB", output);
        Assert.DoesNotMatch(@"loading data \(text-folder\): \d+  \d+ documents", output);
    }
}
