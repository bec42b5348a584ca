// The recipe's OpenTelemetry instruments, through the BCL's System.Diagnostics (no SDK in Core): one ActivitySource
// (spans per stage, evaluation and checkpoint write) and one Meter (training loss, auxiliary loss, tokens/s, step
// time, learning rate, gradient norm, expert load). The host subscribes to them by Name and exports them.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Recipe.Services;

/// <summary>Names and instruments of PluginMoE's telemetry.</summary>
public static class RecipeTelemetry
{
    /// <summary>Name of the ActivitySource and of the Meter.</summary>
    public const string Name = "PluginMoE";

    /// <summary>Spans: <c>stage</c>, <c>evaluate</c>, <c>checkpoint</c>.</summary>
    public static readonly ActivitySource Source = new(Name, PluginMoE.Abstractions.PluginContract.Version);

    private static readonly Meter Meter = new(Name, PluginMoE.Abstractions.PluginContract.Version);

    private static readonly Gauge<double> Loss = Meter.CreateGauge<double>("pluginmoe.train.loss", "nat", "Cross-entropy of the last optimizer step (nats per token)");
    private static readonly Gauge<double> AuxLoss = Meter.CreateGauge<double>("pluginmoe.train.aux_loss", "nat", "Weighted auxiliary losses of the last step (load balancing, z-loss, router losses)");
    private static readonly Gauge<double> TokensPerSecond = Meter.CreateGauge<double>("pluginmoe.train.tokens_per_second", "{token}/s", "Training throughput of the last step");
    private static readonly Histogram<double> StepTime = Meter.CreateHistogram<double>("pluginmoe.train.step_time", "s", "Wall-clock time of an optimizer step");
    private static readonly Gauge<double> LearningRate = Meter.CreateGauge<double>("pluginmoe.train.learning_rate", null, "Learning rate of the last step");
    private static readonly Gauge<double> GradNorm = Meter.CreateGauge<double>("pluginmoe.train.grad_norm", null, "Global gradient L2 norm before clipping");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>("pluginmoe.train.tokens", "{token}", "Tokens trained on");
    private static readonly Counter<long> Steps = Meter.CreateCounter<long>("pluginmoe.train.steps", "{step}", "Optimizer steps taken");
    private static readonly Counter<long> ExpertLoad = Meter.CreateCounter<long>("pluginmoe.moe.expert_load", "{slot}", "Token slots routed to each expert (tags: layer, expert)");
    private static readonly Gauge<double> ValidationLoss = Meter.CreateGauge<double>("pluginmoe.eval.loss", "nat", "Validation loss per domain (tag: domain)");

    /// <summary>Records the metrics of one training step under <paramref name="stage"/>.</summary>
    public static void RecordStep(string stage, TrainingStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var tag = new KeyValuePair<string, object?>("stage", stage);
        Loss.Record(step.Loss, tag);
        AuxLoss.Record(step.AuxLoss, tag);
        TokensPerSecond.Record(step.TokensPerSecond, tag);
        StepTime.Record(step.StepTime.TotalSeconds, tag);
        LearningRate.Record(step.LearningRate, tag);
        GradNorm.Record(step.GradNorm, tag);
        Tokens.Add(step.Tokens, tag);
        Steps.Add(1, tag);
        foreach (var load in step.ExpertLoad)
            for (int e = 0; e < load.Counts.Length; e++)
                ExpertLoad.Add(load.Counts[e], tag, new("layer", load.Layer), new("expert", e));
    }

    /// <summary>Records a validation loss of <paramref name="domain"/>.</summary>
    public static void RecordValidation(string stage, string domain, double loss) =>
        ValidationLoss.Record(loss, new KeyValuePair<string, object?>("stage", stage), new("domain", domain));
}
