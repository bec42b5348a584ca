// Hyperparameters of a training run (AdamW, warmup + cosine schedule, clipping, accumulation, freezing,
// evaluation and checkpoint cadence), and at the same time the profile's Training section: the host binds this
// record straight from configuration and validates it once (DataAnnotations below), so its defaults and ranges are
// the only ones. Warmup is resolved in one place, EffectiveWarmupSteps: an explicit WarmupSteps (clamped to Steps,
// with a notice), else WarmupFraction of Steps, so that shortening a run never makes its warmup invalid. The
// [JsonIgnore] members are not profile keys: the stages fill them (Seed from Run:Seed, sampling from the Data
// section, freezing from the stage), and they stay out of config.resolved.json and the stages' settings.json.
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using PluginMoE.Core.Recipe.Settings;

namespace PluginMoE.Core.Training;

/// <summary>Settings of <see cref="Trainer"/>; bound from the profile's <c>Training</c> section.</summary>
public sealed record TrainerOptions : ISectionOptions
{
    /// <inheritdoc/>
    public static string SectionName => "Training";

    /// <summary>Optimizer steps of the whole run (the schedule reaches its floor here).</summary>
    [Range(1, 100_000_000)]
    public long Steps { get; init; } = 1000;

    /// <summary>Sequences per micro-batch (B).</summary>
    [Range(1, 65536)]
    public int BatchSize { get; init; } = 8;

    /// <summary>Tokens per sequence (T; at most Model:MaxPositions).</summary>
    [Range(2, 1 << 20)]
    public int SequenceLength { get; init; } = 128;

    /// <summary>Micro-batches whose gradients are summed (and averaged) into one optimizer step.</summary>
    [Range(1, 65536)]
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    [Range(1e-8, 10.0)]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Floor of the cosine schedule as a fraction of the peak.</summary>
    [Range(0.0, 1.0)]
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>Steps of linear warmup; null (the default) warms up for <see cref="WarmupFraction"/> of <see cref="Steps"/>. More than Steps is clamped to Steps (see <see cref="Notices"/>).</summary>
    [Range(0, 100_000_000)]
    public long? WarmupSteps { get; init; }

    /// <summary>Linear warmup as a fraction of <see cref="Steps"/> (rounded to whole steps), used when <see cref="WarmupSteps"/> is not set.</summary>
    [Range(0.0, 1.0)]
    public double WarmupFraction { get; init; } = 0.1;

    /// <summary>AdamW decoupled weight decay of matrices (norm weights and other 1-D parameters get none).</summary>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Largest global gradient norm (L2 over all trained parameters); 0 disables clipping.</summary>
    [Range(0.0, 1e6)]
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>A trainer given a validation set evaluates every this many steps and after the last; 0 only after the last (see <see cref="Trainer.IsEvaluationPoint"/>).</summary>
    [Range(0, 100_000_000)]
    public long EvalEvery { get; init; }

    /// <summary>The train stage writes a resumable checkpoint every this many steps (and always after the last); 0 only at the end.</summary>
    [Range(0, 100_000_000)]
    public long CheckpointEvery { get; init; }

    /// <summary>How many of the latest resumable checkpoints the train stage keeps.</summary>
    [Range(1, 1000)]
    public int KeepCheckpoints { get; init; } = 1;

    /// <summary>Rows per evaluation batch.</summary>
    [Range(1, 65536)]
    public int EvalBatchSize { get; init; } = 16;

    /// <summary>Per-domain sampling weights; null or empty samples domains in proportion to their token counts.</summary>
    public IReadOnlyDictionary<string, double>? DomainWeights { get; init; }

    /// <summary>AdamW beta1 (not a profile key).</summary>
    [JsonIgnore]
    [Range(0.0, 1.0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW beta2 (not a profile key).</summary>
    [JsonIgnore]
    [Range(0.0, 1.0)]
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW epsilon (not a profile key).</summary>
    [JsonIgnore]
    [Range(0.0, 1.0)]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Seed of the batch sampler (not a profile key: the stages set it from <c>Run:Seed</c>).</summary>
    [JsonIgnore]
    public long Seed { get; init; }

    /// <summary>Sampling temperature over the domain weights (p ∝ w^(1/τ); 1 keeps them) — see <see cref="Data.SamplingOptions"/> (not a profile key: <c>Data:SamplingTemperature</c>).</summary>
    [JsonIgnore]
    public double SamplingTemperature { get; init; } = 1.0;

    /// <summary>Random or sequential (packed, resumable data position) training windows (not a profile key: <c>Data:WindowOrder</c>).</summary>
    [JsonIgnore]
    public Data.WindowOrder WindowOrder { get; init; } = Data.WindowOrder.Random;

    /// <summary>
    /// Only parameters matching one of these patterns are trained (null: all). A pattern is a glob over the
    /// canonical name (<c>*</c> any characters, dots included; <c>?</c> one character), e.g. <c>*.mlp.gate.*</c>,
    /// or a regular expression prefixed with <c>re:</c>, matched against the whole name. Not a profile key.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string>? TrainableParameters { get; init; }

    /// <summary>Parameters matching one of these patterns are frozen (applied after <see cref="TrainableParameters"/>). Not a profile key.</summary>
    [JsonIgnore]
    public IReadOnlyList<string>? FrozenParameters { get; init; }

    /// <summary>The warmup the trainer uses: <see cref="WarmupSteps"/> clamped to <see cref="Steps"/>, else round(<see cref="WarmupFraction"/> × Steps).</summary>
    public long EffectiveWarmupSteps() => WarmupSteps is { } w
        ? Math.Clamp(w, 0, Steps)
        : (long)Math.Round(WarmupFraction * Steps, MidpointRounding.AwayFromZero);

    /// <summary>Settings that were adjusted rather than refused, worded for the console (one line each).</summary>
    public IReadOnlyList<string> Notices() => WarmupSteps is { } w && w > Steps
        ? [$"Training:WarmupSteps ({w}) is longer than Training:Steps ({Steps}); warming up over all {Steps} steps instead (set Training:WarmupFraction, e.g. 0.1, to warm up over a share of any run length)"]
        : [];
}
