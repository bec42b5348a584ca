// What a router is told besides the tokens: which units are padding, the training step, train/eval, and the
// trainer's random source (jitter noise, Gumbel noise of sample-top-1 routing; Switch/BTX METHODS "linear").
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Routing;

/// <summary>
/// The context of one <see cref="IRouter.Route"/> call. The MoE layer builds it per call from the model-wide
/// values the trainer passes (step, generator) and the layer's own (mask of the routed units, units per token).
/// </summary>
public sealed record RoutingContext
{
    /// <summary>(N) bool over the routed units, true for real ones; null when every unit is real. Padding units are
    /// routed and computed but the layer keeps them out of the losses and counts; routers that compute their own
    /// statistics should do the same.</summary>
    public Tensor? Mask { get; init; }

    /// <summary>Optimizer steps completed before this forward pass (0 during the first training step; anneals schedules such as the Gumbel temperature).</summary>
    public long Step { get; init; }

    /// <summary>True in training (noise and annealing apply); false in evaluation and inference (routing is deterministic).</summary>
    public bool Training { get; init; }

    /// <summary>
    /// Random source for routing noise, owned by the trainer and saved in its state (so a resumed run is bitwise
    /// the uninterrupted one); null outside training. Draw from it only when <see cref="Training"/>.
    /// </summary>
    public Generator? Generator { get; init; }

    /// <summary>Routed units per token: 1, or h when a <see cref="ITokenSplittingRouter"/> splits tokens into h sub-tokens.</summary>
    public int UnitsPerToken { get; init; } = 1;

    /// <summary>Evaluation context: every unit real, no training, no random source.</summary>
    public static RoutingContext Evaluation { get; } = new();

    /// <summary>
    /// <see cref="Generator"/>, or an error naming <paramref name="router"/> and <paramref name="what"/> when there is none
    /// (a router that needs noise was called in training without the trainer's generator).
    /// </summary>
    /// <exception cref="InvalidOperationException">No generator was given.</exception>
    public Generator RequireGenerator(string router, string what) => Generator
        ?? throw new InvalidOperationException(
            $"router '{router}' needs a random source for {what} in training, but RoutingContext.Generator is null; " +
            "pass one (the Trainer passes its routing generator), or switch the model to eval()");
}
