// Hyperparameters of a training run (AdamW, warmup + cosine schedule, clipping, accumulation, freezing,
// evaluation cadence). Plain values: the host binds and validates them from a profile.
using System.ComponentModel.DataAnnotations;

namespace PluginMoE.Core.Training;

/// <summary>Settings of <see cref="Trainer"/>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Optimizer steps of the whole run (the schedule reaches its floor here).</summary>
    [Range(1, long.MaxValue)]
    public long MaxSteps { get; init; } = 1000;

    /// <summary>Sequences per micro-batch (B).</summary>
    [Range(1, int.MaxValue)]
    public int BatchSize { get; init; } = 8;

    /// <summary>Tokens per sequence (T).</summary>
    [Range(1, int.MaxValue)]
    public int SequenceLength { get; init; } = 128;

    /// <summary>Micro-batches whose gradients are summed (and averaged) into one optimizer step.</summary>
    [Range(1, int.MaxValue)]
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    [Range(0.0, double.MaxValue)]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Floor of the cosine schedule as a fraction of the peak.</summary>
    [Range(0.0, 1.0)]
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>Steps of linear warmup.</summary>
    [Range(0, long.MaxValue)]
    public long WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay of matrices (norm weights and other 1-D parameters get none).</summary>
    [Range(0.0, double.MaxValue)]
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW beta1.</summary>
    [Range(0.0, 1.0)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW beta2.</summary>
    [Range(0.0, 1.0)]
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW epsilon.</summary>
    [Range(0.0, 1.0)]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Largest global gradient norm (L2 over all trained parameters); 0 disables clipping.</summary>
    [Range(0.0, double.MaxValue)]
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Seed of the batch sampler.</summary>
    public long Seed { get; init; }

    /// <summary>Per-domain sampling weights; null samples domains in proportion to their token counts.</summary>
    public IReadOnlyDictionary<string, double>? DomainWeights { get; init; }

    /// <summary>Sampling temperature over the domain weights (p ∝ w^(1/τ); 1 keeps them) — see <see cref="Data.SamplingOptions"/>.</summary>
    public double SamplingTemperature { get; init; } = 1.0;

    /// <summary>Random or sequential (packed, resumable data position) training windows.</summary>
    public Data.WindowOrder WindowOrder { get; init; } = Data.WindowOrder.Random;

    /// <summary>
    /// Only parameters matching one of these patterns are trained (null: all). A pattern is a glob over the
    /// canonical name (<c>*</c> any characters, dots included; <c>?</c> one character), e.g. <c>*.mlp.gate.*</c>,
    /// or a regular expression prefixed with <c>re:</c>, matched against the whole name.
    /// </summary>
    public IReadOnlyList<string>? TrainableParameters { get; init; }

    /// <summary>Parameters matching one of these patterns are frozen (applied after <see cref="TrainableParameters"/>).</summary>
    public IReadOnlyList<string>? FrozenParameters { get; init; }

    /// <summary>Evaluate every this many steps (and after the last); 0 never evaluates during training.</summary>
    [Range(0, long.MaxValue)]
    public long EvalEvery { get; init; }

    /// <summary>Rows per evaluation batch.</summary>
    [Range(1, int.MaxValue)]
    public int EvalBatchSize { get; init; } = 16;
}
