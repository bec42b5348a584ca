// Warmup that follows the run length (a fraction of Steps, or WarmupSteps clamped with a notice), and profiles
// that extend another profile ("Extends": "train-small").
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

[Collection(Cli.CliCollection.Name)]
public sealed class WarmupAndExtendsTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private HostSettings Load(string? profile, params string[] overrides) => HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
    {
        Profile = profile,
        HostDirectory = AppContext.BaseDirectory,
        WorkingDirectory = _cli.WorkingDirectory,
        Overrides = overrides,
    }));

    [Fact]
    public void Warmup_IsAFractionOfTheSteps_ByDefault()
    {
        Assert.Equal(100, Load("train-small").Training.EffectiveWarmupSteps());
        Assert.Equal(5, Load("train-small", "--Training:Steps=50").Training.EffectiveWarmupSteps());
        Assert.Equal(20, Load(null, "--Training:Steps=200").Training.EffectiveWarmupSteps());
        Assert.Empty(Load("train-small", "--Training:Steps=50").Training.Notices());
    }

    [Fact]
    public void WarmupStepsLongerThanTheRun_AreClampedWithANotice()
    {
        var training = Load(null, "--Training:Steps=10", "--Training:WarmupSteps=20").Training;
        Assert.Equal(10, training.EffectiveWarmupSteps());
        Assert.Equal(10, training.EffectiveWarmupSteps());
        Assert.Equal(
            "Training:WarmupSteps (20) is longer than Training:Steps (10); warming up over all 10 steps instead " +
            "(set Training:WarmupFraction, e.g. 0.1, to warm up over a share of any run length)", Assert.Single(training.Notices()));
    }

    [Fact]
    public void Run_WithWarmupStepsLongerThanTheRun_TrainsAndPrintsTheNotice()
    {
        TinyProfile.Write(_cli);
        var (code, _, error) = _cli.Run("run", "--profile", "tiny", "--run-dir", "runs/w", "--Training:Steps=2", "--Training:WarmupSteps=100");
        Assert.True(code == 0, error);
        Assert.Contains("pluginmoe: notice: Training:WarmupSteps (100) is longer than Training:Steps (2)", error);
    }

    [Fact]
    public void Extends_StartsFromTheBaseProfile_AndArraysAreReplacedWhole()
    {
        _cli.Write("profiles/child.json", """
            {
              // comments are allowed, as in any profile
              "Extends": "train-small",
              "Model": { "Moe": { "TopK": 1 } },
              "Data": { "LoaderOptions": { "Domains": { "licenses": [ "/usr/share/common-licenses/*" ] } } },
            }
            """);
        var settings = Load("child");
        Assert.Equal("child", settings.ProfileName);
        Assert.Equal(1, settings.Model.Moe.TopK);
        Assert.Equal(4, settings.Model.Moe.Experts);            // from train-small
        Assert.Equal(0.003, settings.Training.LearningRate);    // from train-small
        var domains = settings.Data.LoaderOptions!["Domains"]!.AsObject();
        Assert.Equal(["/usr/share/common-licenses/*"], domains["licenses"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["/usr/lib/python3*/*.py"], domains["python"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.EndsWith(Path.Combine("profiles", "train-small.json"), settings.Source.ProfileFiles[0]);
        Assert.EndsWith(Path.Combine("profiles", "child.json"), settings.Source.ProfileFiles[1]);
    }

    [Fact]
    public void Extends_RunsAProfileThatOnlyChangesTheRouterSettings()
    {
        // The harness's host folder has no profiles: train-small comes from the working directory's profiles/, as in a checkout.
        _cli.Write("profiles/train-small.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "profiles", "train-small.json")));
        _cli.Write("profiles/top1.json", """{ "Extends": "train-small", "Model": { "Moe": { "TopK": 1 } }, "Training": { "Steps": 2 } }""");
        var (code, output, error) = _cli.Run("run", "--profile", "top1", "--run-dir", "runs/top1");
        Assert.True(code == 0, error);
        Assert.Contains("done:", output);
    }

    [Fact]
    public void Extends_Cycle_NamesTheChain()
    {
        string a = _cli.Write("profiles/a.json", """{ "Extends": "b" }""");
        string b = _cli.Write("profiles/b.json", """{ "Extends": "a" }""");
        var e = Assert.Throws<ConfigurationException>(() => Load("a"));
        Assert.Equal($"profile '{a}' extends itself: '{a}' -> '{b}' -> '{a}'; remove one of the \"Extends\" settings", e.Message);
    }

    [Fact]
    public void Extends_UnknownProfileOrWrongType_IsAConfigurationError()
    {
        string c = _cli.Write("profiles/c.json", """{ "Extends": "nosuch" }""");
        var missing = Assert.Throws<ConfigurationException>(() => Load("c"));
        Assert.StartsWith($"profile '{c}': Extends: profile 'nosuch' not found", missing.Message);
        string d = _cli.Write("profiles/d.json", """{ "Extends": 3 }""");
        var wrong = Assert.Throws<ConfigurationException>(() => Load("d"));
        Assert.Equal($"profile '{d}': Extends must be the name of a profile or a path to a .json file (for example \"Extends\": \"quickstart\"), got 3", wrong.Message);
    }
}
