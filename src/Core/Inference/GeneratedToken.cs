// One step of streamed generation: the sampled token and the text it completed.
namespace PluginMoE.Core.Inference;

/// <summary>A token produced by <see cref="TextGenerator.Stream"/>.</summary>
/// <param name="Id">The sampled token id.</param>
/// <param name="Text">Text that became complete with this token: empty while a multi-byte character is unfinished,
/// and on the last token also whatever was still held (incomplete characters as U+FFFD). The texts of all tokens
/// concatenate to the generated text.</param>
public sealed record GeneratedToken(int Id, string Text);
