// The Training section: hyperparameters of the train stage (mapped onto Core's TrainerOptions) and how
// often the stage evaluates and writes resumable checkpoints. Warmup is a fraction of Steps by default, so
// that shortening a run (--Training:Steps=50) never makes its warmup invalid; an explicit WarmupSteps longer
// than the run is clamped to Steps with a notice.
using System.ComponentModel.DataAnnotations;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe.Settings;

/// <summary>Settings of the <c>train</c> stage.</summary>
public sealed class TrainingOptions : ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Training";

    /// <summary>Optimizer steps.</summary>
    [Range(1, 100_000_000)]
    public long Steps { get; set; } = 1000;

    /// <summary>Sequences per micro-batch.</summary>
    [Range(1, 65536)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Tokens per sequence (at most Model:MaxPositions).</summary>
    [Range(2, 1 << 20)]
    public int SequenceLength { get; set; } = 128;

    /// <summary>Micro-batches per optimizer step.</summary>
    [Range(1, 65536)]
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Peak learning rate.</summary>
    [Range(1e-8, 10.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Cosine floor as a fraction of the peak.</summary>
    [Range(0.0, 1.0)]
    public double MinLearningRateRatio { get; set; } = 0.1;

    /// <summary>Linear warmup steps; null (the default) warms up for <see cref="WarmupFraction"/> of Steps. More than Steps is clamped to Steps with a notice.</summary>
    [Range(0, 100_000_000)]
    public long? WarmupSteps { get; set; }

    /// <summary>Linear warmup as a fraction of Steps (rounded to whole steps), used when <see cref="WarmupSteps"/> is not set.</summary>
    [Range(0.0, 1.0)]
    public double WarmupFraction { get; set; } = 0.1;

    /// <summary>AdamW weight decay of matrices.</summary>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; set; } = 0.1;

    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    [Range(0.0, 1e6)]
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>Evaluate every this many steps (and always after the last); 0 only at the end.</summary>
    [Range(0, 100_000_000)]
    public long EvalEvery { get; set; }

    /// <summary>Write a resumable checkpoint every this many steps (and always after the last); 0 only at the end.</summary>
    [Range(0, 100_000_000)]
    public long CheckpointEvery { get; set; }

    /// <summary>How many of the latest resumable checkpoints are kept.</summary>
    [Range(1, 1000)]
    public int KeepCheckpoints { get; set; } = 1;

    /// <summary>Rows per evaluation batch.</summary>
    [Range(1, 65536)]
    public int EvalBatchSize { get; set; } = 16;

    /// <summary>Per-domain sampling weights; empty samples in proportion to each domain's tokens.</summary>
    public Dictionary<string, double>? DomainWeights { get; set; }

    /// <summary>Core's trainer settings for this section, with the run's seed.</summary>
    public TrainerOptions ToTrainerOptions(long seed) => new()
    {
        MaxSteps = Steps,
        BatchSize = BatchSize,
        SequenceLength = SequenceLength,
        GradientAccumulationSteps = GradientAccumulationSteps,
        LearningRate = LearningRate,
        MinLearningRateRatio = MinLearningRateRatio,
        WarmupSteps = EffectiveWarmupSteps(),
        WeightDecay = WeightDecay,
        GradientClipNorm = GradientClipNorm,
        Seed = seed,
        DomainWeights = DomainWeights is { Count: > 0 } w ? w : null,
        EvalBatchSize = EvalBatchSize,
    };

    /// <summary>The warmup the trainer uses: WarmupSteps clamped to Steps, else round(WarmupFraction * Steps).</summary>
    public long EffectiveWarmupSteps() => WarmupSteps is { } w
        ? Math.Min(w, Steps)
        : (long)Math.Round(WarmupFraction * Steps, MidpointRounding.AwayFromZero);

    /// <summary>Settings that were adjusted rather than refused, worded for the console (one line each).</summary>
    public IReadOnlyList<string> Notices() => WarmupSteps is { } w && w > Steps
        ? [$"Training:WarmupSteps ({w}) is longer than Training:Steps ({Steps}); warming up over all {Steps} steps instead (set Training:WarmupFraction, e.g. 0.1, to warm up over a share of any run length)"]
        : [];

}
