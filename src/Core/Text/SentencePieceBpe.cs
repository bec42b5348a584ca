// The settings that make a BpeTokenizer SentencePiece-style (Llama-2, Mistral-7B, Gemma tokenizer.json files):
// its vocabulary holds text (spaces written '\u2581' by the normalizer) instead of byte-level characters, a
// character missing from it falls back to its UTF-8 bytes as <0xNN> tokens (byte_fallback) or to the unknown
// token, and ids decode through the file's decoder chain (TokenDecoder).
using System.Text.Json.Nodes;

namespace PluginMoE.Core.Text;

/// <summary>SentencePiece-style BPE settings of a tokenizer.json: byte fallback, the unknown token, the decoder, the file.</summary>
/// <param name="ByteFallback">Characters outside the vocabulary become their UTF-8 bytes as <c>&lt;0xNN&gt;</c> tokens.</param>
/// <param name="UnknownId">The id of <c>model.unk_token</c>, or null.</param>
/// <param name="FuseUnknown">Consecutive unknown characters become one unknown token (<c>fuse_unk</c>).</param>
/// <param name="Decoder">The decoder chain (null: tokens joined by spaces, as the reference library does without one).</param>
/// <param name="Source">The tokenizer.json as read (saved back unchanged beside checkpoints).</param>
public sealed record SentencePieceBpe(bool ByteFallback, int? UnknownId, bool FuseUnknown, TokenDecoder? Decoder, JsonObject Source);
