// Resume: 3 steps, save, load into a fresh model and trainer, 3 more steps = 6 uninterrupted steps, bitwise
// (also with router jitter noise, whose draws come from the trainer's routing generator).
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Tests.Training;

public sealed class TrainerResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pluginmoe-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("dense")]
    [InlineData("moe")]
    [InlineData("moe-jitter")]
    public void Resume_AfterSaveAndLoad_IsBitwiseTheUninterruptedRun(string kind)
    {
        var config = kind switch
        {
            "dense" => TrainingFixtures.Dense,
            "moe" => TrainingFixtures.Moe,
            _ => TrainingFixtures.Moe with { Moe = TrainingFixtures.Moe.Moe! with { RouterOptions = new JsonObject { ["JitterNoise"] = 0.2 } } },
        };
        // Accumulation, clipping and warmup into cosine all carry state across the interruption.
        var options = TrainingFixtures.Options(6) with { GradientAccumulationSteps = 2, WarmupSteps = 2, GradientClipNorm = 0.5 };
        var corpus = TrainingFixtures.SyntheticCorpus();

        var straight = new Trainer(TrainingFixtures.Build(config), corpus, options);
        straight.Train();

        var first = new Trainer(TrainingFixtures.Build(config), corpus, options);
        first.Train(3);
        string ckpt = Path.Combine(_dir, "step3");
        TrainerState.Save(ckpt, first);

        var model = TransformerLM.FromCheckpoint(CheckpointStore.Load(ckpt), TestCatalog.Create());
        var resumed = new Trainer(model, corpus, options);
        TrainerState.Load(ckpt, resumed);
        Assert.Equal(3, resumed.Step);
        resumed.Train();

        Assert.Equal(6, resumed.Step);
        var expected = TrainingFixtures.Snapshot(straight.Model);
        var actual = TrainingFixtures.Snapshot(resumed.Model);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, values) in expected)
            Assert.True(values.AsSpan().SequenceEqual(actual[name]), $"{name} differs after resume");
    }

    [Fact]
    public void Load_OptimizerFileChangedAfterSave_FailsNamingTheFile()
    {
        var options = TrainingFixtures.Options(4);
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), options);
        trainer.Train(1);
        TrainerState.Save(_dir, trainer);
        var bytes = File.ReadAllBytes(Path.Combine(_dir, TrainerState.OptimizerFile));
        bytes[^1] ^= 1;
        File.WriteAllBytes(Path.Combine(_dir, TrainerState.OptimizerFile), bytes);
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(_dir, new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), options)));
        Assert.Contains("optimizer.safetensors' does not match the SHA-256 recorded in trainer_state.json", e.Message);
    }

    [Fact]
    public void Load_StateOfARunTrainingOtherParameters_FailsNamingTheDifference()
    {
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(4));
        TrainerState.Save(_dir, trainer);
        var frozen = TrainingFixtures.Options(4) with { FrozenParameters = ["model.embed_tokens.*"] };
        var other = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), frozen);
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(_dir, other));
        Assert.Contains("was saved while training other parameters: only in the state [model.embed_tokens.weight]", e.Message);
    }

    [Fact]
    public void Load_FolderWithoutState_SaysWhatIsMissing()
    {
        var trainer = new Trainer(TrainingFixtures.Build(TrainingFixtures.Dense), TrainingFixtures.SyntheticCorpus(), TrainingFixtures.Options(4));
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(_dir, trainer));
        Assert.Contains($"no trainer state in '{_dir}': trainer_state.json is missing", e.Message);
    }
}
