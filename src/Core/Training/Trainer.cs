// The training loop: mixed-domain batches, loss = cross-entropy + the model's auxiliary losses, gradient
// accumulation, global-norm clipping, AdamW with decay-free norms and 1-D parameters, warmup + cosine to a floor.
using System.Diagnostics;
using System.Globalization;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Data;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Training;

/// <summary>
/// Trains a <see cref="TransformerLM"/>. Deterministic given the model's initial parameters, the data and
/// <see cref="TrainerOptions.Seed"/>; <see cref="TrainerState"/> saves and restores everything that changes
/// (optimizer moments, step, schedule, sampler position, routing generator) so a resumed run is bitwise the
/// uninterrupted one.
/// </summary>
public sealed class Trainer
{
    private readonly TransformerLM _model;
    private readonly ValidationSet? _validation;
    private readonly ITrainingObserver _observer;
    private readonly nn.Parameter[] _trained;
    private double? _lastFiniteLoss;

    /// <summary>Prepares training: selects trained parameters (freezing the rest), builds the optimizer, schedule and sampler.</summary>
    /// <param name="model">The model; frozen parameters get <c>requires_grad = false</c>.</param>
    /// <param name="train">Training token streams per domain.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="validation">Validation windows for periodic evaluation, or null.</param>
    /// <param name="observer">Receives step and evaluation events, or null.</param>
    public Trainer(TransformerLM model, TokenCorpus train, TrainerOptions options, ValidationSet? validation = null, ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SequenceLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"SequenceLength ({options.SequenceLength}) exceeds the model's MaxPositionEmbeddings ({model.Config.MaxPositionEmbeddings})");
        _model = model;
        Options = options;
        _validation = validation;
        _observer = observer ?? NullTrainingObserver.Instance;

        var named = model.named_parameters().ToList();
        var keep = ParameterSelector.Select([.. named.Select(n => n.name)], options.TrainableParameters, options.FrozenParameters);
        foreach (var (name, p) in named) p.requires_grad_(keep.Contains(name));
        var trained = named.Where(n => keep.Contains(n.name)).ToList();
        TrainedParameters = [.. trained.Select(n => n.name)];
        _trained = [.. trained.Select(n => n.parameter)];

        // Weight decay only on matrices: decaying norm gains and other vectors pulls them towards 0 for no benefit.
        var decay = trained.Where(n => n.parameter.dim() >= 2 && !n.name.Contains("norm", StringComparison.Ordinal)).Select(n => (Tensor)n.parameter).ToList();
        var noDecay = trained.Where(n => !(n.parameter.dim() >= 2 && !n.name.Contains("norm", StringComparison.Ordinal))).Select(n => (Tensor)n.parameter).ToList();
        var groups = new List<optim.ParamGroup>();
        if (decay.Count > 0) groups.Add(new optim.ParamGroup(decay, weight_decay: options.WeightDecay, name: "decay"));
        if (noDecay.Count > 0) groups.Add(new optim.ParamGroup(noDecay, weight_decay: 0.0, name: "no_decay"));
        Optimizer = new optim.AdamW(groups, lr: options.LearningRate, beta1: options.Beta1, beta2: options.Beta2, eps: options.Epsilon);
        // Warmup starts at lr / (W + 1) rather than 0 so that the first step is not wasted.
        long warmup = options.EffectiveWarmupSteps();
        Scheduler = new optim.lr_scheduler.CosineWithWarmup(Optimizer, warmup, options.Steps,
            min_lr_ratio: options.MinLearningRateRatio, warmup_start_factor: 1.0 / (warmup + 1));
        Sampler = new MixedDomainSampler(train, options.BatchSize, options.SequenceLength, options.Seed,
            new SamplingOptions { Weights = options.DomainWeights is { Count: > 0 } weights ? weights : null, Temperature = options.SamplingTemperature, Order = options.WindowOrder });
        RoutingGenerator = new Generator(RoutingSeed(options.Seed));
    }

    /// <summary>Seed of the routing generator: derived from <see cref="TrainerOptions.Seed"/> so it draws other numbers than the sampler.</summary>
    internal static long RoutingSeed(long seed) => unchecked(seed ^ 0x526F7574696E67L); // "Routing"

    /// <summary>Random source of routing noise (jitter, Gumbel), passed to every router in <see cref="RoutingContext.Generator"/> and saved in the trainer state.</summary>
    internal Generator RoutingGenerator { get; }

    /// <summary>The settings of this run.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Names of the parameters being trained (the others are frozen).</summary>
    public IReadOnlyList<string> TrainedParameters { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; private set; }

    /// <summary>The model being trained.</summary>
    public TransformerLM Model => _model;

    internal optim.AdamW Optimizer { get; }

    internal optim.lr_scheduler.CosineWithWarmup Scheduler { get; }

    internal MixedDomainSampler Sampler { get; }

    internal double? LastFiniteLoss { get => _lastFiniteLoss; set => _lastFiniteLoss = value; }

    internal void RestoreStep(long step) => Step = step;

    /// <summary>Trains until <see cref="TrainerOptions.Steps"/>.</summary>
    /// <exception cref="TrainingDivergedException">The loss or gradient norm became non-finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the trainer stops between steps, so its state can still be saved.</exception>
    public void Train(CancellationToken cancellationToken = default) => Train(Options.Steps - Step, cancellationToken);

    /// <summary>Takes up to <paramref name="steps"/> more optimizer steps (never beyond <see cref="TrainerOptions.Steps"/>).</summary>
    public void Train(long steps, CancellationToken cancellationToken = default)
    {
        long end = Math.Min(Options.Steps, Step + steps);
        _model.train();
        while (Step < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TakeStep();
            if (_validation is not null && Options.EvalEvery > 0 && (Step % Options.EvalEvery == 0 || Step == Options.Steps))
            {
                var result = Evaluate(cancellationToken);
                _observer.OnEvaluation(Step, result);
            }
        }
    }

    /// <summary>Evaluates the model on the validation set given at construction.</summary>
    public EvaluationResult Evaluate(CancellationToken cancellationToken = default)
    {
        var validation = _validation ?? throw new InvalidOperationException("the trainer was built without a validation set");
        try { return Evaluator.Evaluate(_model, validation, Options.EvalBatchSize, cancellationToken); }
        finally { _model.train(); }
    }

    private void TakeStep()
    {
        // Every tensor of the step (activations, gradients flowing back, temporaries) returns to the caching
        // allocator when the step ends (a micro-batch's when it ends); parameters, their .grad and the optimizer
        // state are not scoped, and zero_grad gives the previous step's gradient buffers back to the pool.
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        long step = Step + 1;
        int micro = Options.GradientAccumulationSteps;
        Optimizer.zero_grad();
        double lossSum = 0, auxSum = 0;
        var load = new SortedDictionary<int, long[]>();
        for (int m = 0; m < micro; m++)
        {
            // Each micro-batch's activations and backward temporaries go back to the pool before the next one runs
            // (only the accumulated .grad, which is not scoped, carries over), so gradient accumulation costs no more
            // memory than one micro-batch.
            using var microScope = NewDisposeScope();
            var batch = Sampler.Next();
            var routing = new RoutingContext { Step = Step, Training = true, Generator = RoutingGenerator };
            var output = _model.forward(batch.Inputs, attentionMask: null, routing);
            var logits = output.Logits;                                           // (B, T, V)
            var ce = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch.Targets.reshape(-1));
            double loss = ce.ToDouble(), aux = output.AuxLoss.ToDouble();
            if (!double.IsFinite(loss) || !double.IsFinite(aux))
                throw Diverged(step, double.IsFinite(loss) ? $"the auxiliary loss is {aux}" : $"the loss is {loss}");
            // Averaging over micro-batches makes the step independent of how the batch is split.
            ((ce + output.AuxLoss) * (1.0 / micro)).backward();
            lossSum += loss;
            auxSum += aux;
            foreach (var r in output.Routing)
            {
                var counts = r.ExpertCounts.to(int64).data<long>();
                if (!load.TryGetValue(r.Layer, out var acc)) load[r.Layer] = acc = new long[counts.Length];
                for (int e = 0; e < counts.Length; e++) acc[e] += counts[e];
            }
        }
        // With clipping off the norm is still measured (an infinite threshold never scales).
        double gradNorm = nn.utils.clip_grad_norm_(_trained, Options.GradientClipNorm > 0 ? Options.GradientClipNorm : double.PositiveInfinity);
        if (!double.IsFinite(gradNorm))
        {
            Optimizer.zero_grad();
            throw Diverged(step, $"the gradient norm is {gradNorm}");
        }
        double lr = Optimizer.param_groups[0].lr;
        Optimizer.step();
        Scheduler.step();
        Step = step;
        _lastFiniteLoss = lossSum / micro;
        clock.Stop();
        long tokens = (long)micro * Options.BatchSize * Options.SequenceLength;
        _observer.OnStep(new TrainingStep(step, Options.Steps, lossSum / micro, auxSum / micro, lr, gradNorm, tokens,
            tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), clock.Elapsed, [.. load.Select(kv => new ExpertLoad(kv.Key, kv.Value))]));
    }

    private TrainingDivergedException Diverged(long step, string what)
    {
        Optimizer.zero_grad();
        string last = _lastFiniteLoss is { } l ? $"the last finite loss was {l.ToString("F4", CultureInfo.InvariantCulture)} at step {step - 1}" : "no earlier step had a finite loss";
        return new TrainingDivergedException(
            $"training stopped at step {step}: {what} ({last}); parameters are unchanged since step {step - 1}. " +
            "Lower the learning rate, keep gradient clipping on, or resume from an earlier checkpoint",
            step, _lastFiniteLoss);
    }
}
