// How TextGenerator samples: token budget, temperature, nucleus (top-p) mass, seed, and what happens when the
// model's context is full.
namespace PluginMoE.Core.Inference;

/// <summary>Sampling settings of <see cref="TextGenerator"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate (0 generates nothing).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Softmax temperature; 0 picks the most likely token every step (greedy, no randomness).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: sample among the most likely tokens whose probabilities add up to at least this (0, 1]; 1 keeps every token.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator: the same seed, model and prompt give the same text.</summary>
    public long Seed { get; init; }

    /// <summary>What to do when the tokens fill the model's context (<c>MaxPositionEmbeddings</c>).</summary>
    public ContextOverflow OnContextFull { get; init; } = ContextOverflow.Slide;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting that is out of range and what is allowed.</summary>
    public void Validate()
    {
        if (MaxTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, $"generation: MaxTokens must be 0 or more, got {MaxTokens}");
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, $"generation: Temperature must be a finite number >= 0 (0 = greedy), got {Temperature}");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, $"generation: TopP must be in (0, 1] (1 = no nucleus cut), got {TopP}");
        if (!Enum.IsDefined(OnContextFull))
            throw new ArgumentOutOfRangeException(nameof(OnContextFull), OnContextFull, $"generation: OnContextFull must be Stop or Slide, got {OnContextFull}");
    }
}
