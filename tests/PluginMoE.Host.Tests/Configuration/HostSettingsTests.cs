// Validation at start: each kind of bad setting gives a message with the full key path, the value and what is allowed.
using PluginMoE.Core.Composition;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Configuration;

public sealed class HostSettingsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Error(params string[] overrides)
    {
        Directory.CreateDirectory(_dir.Combine("work"));
        var built = LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides = overrides,
        });
        return Assert.Throws<ConfigurationException>(() => HostSettings.Load(built)).Message;
    }

    [Fact]
    public void Load_ValueOfTheWrongType_NamesKeyValueAndExpectedType() =>
        Assert.Equal("a configuration error in the settings: Model:Layers: value 'two' is not allowed: expected a whole number",
            Error("--Model:Layers=two"));

    [Fact]
    public void Load_ValueOutOfRange_NamesTheAllowedRange() =>
        Assert.Contains("Model:Heads: value 0 is not allowed: allowed values are 1 to 1024", Error("--Model:Heads=0"));

    [Fact]
    public void Load_NestedValueOutOfRange_NamesTheFullKeyPath() =>
        Assert.Contains("Model:Moe:LoadBalanceWeight: value -1 is not allowed: allowed values are 0 to 10", Error("--Model:Moe:LoadBalanceWeight=-1"));

    [Fact]
    public void Load_InconsistentValues_SayWhatTheyMustSatisfy()
    {
        Assert.Contains("Model:HiddenSize: value 66 is not allowed: must be a multiple of Heads (4)", Error("--Model:HiddenSize=66"));
        Assert.Contains("Model:Moe:TopK: value 3 is not allowed: must be at most Moe:Experts (2)", Error("--Model:Moe:Experts=2", "--Model:Moe:TopK=3"));
        Assert.Contains("Training:SequenceLength: value 512 is not allowed: it must be at most Model:MaxPositions (256)", Error("--Training:SequenceLength=512"));
    }

    [Fact]
    public void Load_UnknownKey_ListsTheKnownKeysAndTheClosest()
    {
        string message = Error("--Training:Step=5");
        Assert.Contains("Training:Step: unknown setting; Training accepts Steps, BatchSize", message);
        Assert.EndsWith("did you mean 'Steps'?", message);
    }

    [Fact]
    public void Load_UnknownSection_SuggestsTheClosest() =>
        Assert.Contains("Trainig: unknown section; known sections are Run, Plugins, Telemetry, Model, Data, Training, Recipe; did you mean 'Training'?",
            Error("--Trainig:Steps=5"));

    [Fact]
    public void Load_SeveralProblems_AreAllReportedAtOnce() =>
        Assert.StartsWith("2 configuration errors in the settings: Model:Layers: value 'x'", Error("--Model:Layers=x", "--Training:BatchSize=0"));

    [Fact]
    public void Load_BadOtlpEndpoint_SaysWhatWouldWork() =>
        Assert.Contains("Telemetry:OtlpEndpoint: value 'not a uri' is not allowed: must be an absolute URI such as http://localhost:4317, or empty",
            Error("--Telemetry:OtlpEndpoint=not a uri"));

    [Fact]
    public void Training_KeysTheStagesFillIn_AreNotProfileKeys() =>
        Assert.Contains("Training:Seed: unknown setting; Training accepts Steps, BatchSize, SequenceLength", Error("--Training:Seed=3"));

    [Fact]
    public void Training_RecordedKeys_StayTheOnesOlderRunFoldersHold()
    {
        // The stages' settings.json records these keys; a new or renamed key would make older run folders refuse to resume.
        Directory.CreateDirectory(_dir.Combine("work"));
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = _dir.Combine("host"),
            WorkingDirectory = _dir.Combine("work"),
            Overrides = [],
        }));
        var training = settings.ToResolvedJson()["Training"]!.AsObject();
        Assert.Equal(
            ["Steps", "BatchSize", "SequenceLength", "GradientAccumulationSteps", "LearningRate", "MinLearningRateRatio", "WarmupSteps", "WarmupFraction",
             "WeightDecay", "GradientClipNorm", "EvalEvery", "CheckpointEvery", "KeepCheckpoints", "EvalBatchSize", "DomainWeights"],
            training.Select(kv => kv.Key));
        Assert.Equal(1000, (long)training["Steps"]!);
        Assert.Null(training["WarmupSteps"]);
    }
}
