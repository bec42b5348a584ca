// The two ways generation can continue once the tokens fill the model's context window.
namespace PluginMoE.Core.Inference;

/// <summary>What <see cref="TextGenerator"/> does when the context (<c>MaxPositionEmbeddings</c> positions) is full.</summary>
public enum ContextOverflow
{
    /// <summary>
    /// Keep the most recent half of the context, re-encode it from position 0 into an emptied cache and go on:
    /// generation always runs for <see cref="GenerationOptions.MaxTokens"/> tokens; text older than the kept half is forgotten.
    /// </summary>
    Slide,

    /// <summary>
    /// Stop: the last token is predicted from a full context, so a prompt of n tokens yields at most
    /// <c>MaxPositionEmbeddings - n + 1</c> new tokens.
    /// </summary>
    Stop,
}
