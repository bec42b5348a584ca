// Byte-level BPE (Sennrich et al. 2016; GPT-2's byte-level variant): text -> UTF-8 bytes per pre-token ->
// the lowest-ranked merge applied repeatedly -> ids. Decoding maps ids back to bytes, so any byte sequence
// round-trips exactly through EncodeBytes/DecodeBytes (when the tokenizer has no normalizer). A tokenizer.json's
// normalizer is applied before pre-tokenization, and its post-processor's special tokens by EncodeWithSpecialTokens.
// SentencePiece-style files (SentencePieceBpe: Llama-2, Gemma) start from characters instead of bytes, fall back
// to <0xNN> byte tokens, and decode through the file's decoder chain.
using System.Text;
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Core.Text;

/// <summary>A byte-level BPE tokenizer: vocabulary, ranked merges, a pre-tokenizer and optional added (special) tokens.</summary>
public sealed class BpeTokenizer : ITokenizer
{
    private readonly Dictionary<string, int> _vocab;                  // byte-level token string -> id
    private readonly string[] _tokens;                                // id -> byte-level token string (null for gaps)
    private readonly int[] _byteIds;                                  // byte -> id of its single-byte token
    private readonly Dictionary<long, (int Rank, int Id)> _merges;    // (left id, right id) -> rank and merged id
    private readonly Dictionary<string, int> _added;                  // added token content -> id
    private readonly Dictionary<int, string> _addedById;
    private readonly string[] _addedByLength;                         // longest first, for matching in text
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    /// <summary>
    /// Builds a tokenizer. <paramref name="vocab"/> maps byte-level strings (<see cref="ByteLevelAlphabet"/>) to ids
    /// and must hold all 256 single bytes; <paramref name="merges"/> are pairs of vocabulary strings in rank order
    /// whose concatenation is in the vocabulary.
    /// </summary>
    /// <exception cref="ArgumentException">A byte or a merge part or result is missing from the vocabulary (the message names it).</exception>
    public BpeTokenizer(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, BpePreTokenizer preTokenizer,
        IReadOnlyDictionary<string, int>? addedTokens = null, bool ignoreMerges = false, TextNormalizer? normalizer = null, TokenPostProcessor? postProcessor = null,
        SentencePieceBpe? sentencePiece = null)
    {
        SentencePiece = sentencePiece;
        Normalizer = normalizer;
        PostProcessor = postProcessor;
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(preTokenizer);
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        PreTokenizer = preTokenizer;
        IgnoreMerges = ignoreMerges;
        Merges = merges;
        _added = new Dictionary<string, int>(addedTokens ?? new Dictionary<string, int>(), StringComparer.Ordinal);
        _addedById = _added.ToDictionary(kv => kv.Value, kv => kv.Key);
        _addedByLength = [.. _added.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)];
        int max = Math.Max(_vocab.Count == 0 ? -1 : _vocab.Values.Max(), _added.Count == 0 ? -1 : _added.Values.Max());
        VocabSize = max + 1;
        _tokens = new string[VocabSize];
        foreach (var (s, id) in _vocab)
        {
            if (id < 0) throw new ArgumentException($"bpe: vocabulary id {id} of '{s}' is negative");
            _tokens[id] = s;
        }
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (sentencePiece is not null)
                // A byte without its <0xNN> token (Gemma has none for 0x09, '\t' being a token itself) falls back to the unknown token.
                _byteIds[b] = sentencePiece.ByteFallback && _vocab.TryGetValue($"<0x{b:X2}>", out int fallback) ? fallback : -1;
            else
                _byteIds[b] = _vocab.TryGetValue(ByteLevelAlphabet.Char((byte)b).ToString(), out int id) ? id
                    : throw new ArgumentException($"bpe: the vocabulary lacks the single-byte token of byte 0x{b:X2} ('{ByteLevelAlphabet.Char((byte)b)}'); a byte-level BPE vocabulary needs all 256");
        }
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (l, r) = merges[rank];
            int li = Id(l, rank), ri = Id(r, rank), mi = Id(l + r, rank);
            _merges.TryAdd(Key(li, ri), (rank, mi));
        }
    }

    private int Id(string token, int rank) => _vocab.TryGetValue(token, out int id) ? id
        : throw new ArgumentException($"bpe: merge {rank} uses '{token}', which is not in the vocabulary");

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <summary>SentencePiece-style settings (Llama-2, Gemma files), or null for byte-level BPE.</summary>
    public SentencePieceBpe? SentencePiece { get; }

    /// <summary>The pre-tokenizer.</summary>
    public BpePreTokenizer PreTokenizer { get; }

    /// <summary>Merges in rank order (as byte-level strings).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Vocabulary: byte-level token string -> id.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    /// <summary>Added (special) tokens: content -> id; they are matched in text before pre-tokenization.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    /// <summary>When set, a pre-token that is itself in the vocabulary is emitted whole (Llama-3's <c>ignore_merges</c>).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>The normalizer applied to text before pre-tokenization (between added tokens), or null.</summary>
    public TextNormalizer? Normalizer { get; }

    /// <summary>The special tokens put around a sequence by <see cref="EncodeWithSpecialTokens"/>, or null.</summary>
    public TokenPostProcessor? PostProcessor { get; }

    /// <summary>
    /// <see cref="Encode"/> with the post-processor's special tokens around the ids (for example Llama-3's
    /// <c>&lt;|begin_of_text|&gt;</c> first), as the tool that wrote the tokenizer.json feeds its model.
    /// </summary>
    public int[] EncodeWithSpecialTokens(string text)
    {
        var ids = Encode(text);
        return PostProcessor?.Apply(ids) ?? ids;
    }

    private string Normalize(string text) => Normalizer?.Apply(text) ?? text;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        int at = 0;
        while (at < text.Length)
        {
            var (pos, special) = NextAdded(text, at);
            if (pos > at) EncodeOrdinary(PreTokenizer.Prepare(Normalize(text[at..pos])), ids);
            if (special is null) break;
            ids.Add(_added[special]);
            at = pos + special.Length;
        }
        return [.. ids];
    }

    // The next added token at or after `from` (leftmost, longest); (text.Length, null) when there is none.
    private (int, string?) NextAdded(string text, int from)
    {
        int best = text.Length;
        string? found = null;
        foreach (var token in _addedByLength)
        {
            int i = text.IndexOf(token, from, StringComparison.Ordinal);
            if (i >= 0 && i < best) { best = i; found = token; }
        }
        return (best, found);
    }

    private void EncodeOrdinary(string text, List<int> ids)
    {
        foreach (var (start, length) in PreTokenizer.Split(text))
            ids.AddRange(EncodePiece(text.Substring(start, length)));
    }

    /// <summary>Ids of arbitrary bytes: valid UTF-8 runs are pre-tokenized as text, each invalid byte is its own piece.</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> bytes)
    {
        var ids = new List<int>(bytes.Length / 3 + 4);
        int runStart = 0, i = 0;
        while (i < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[i..], out _, out int used);
            if (status == System.Buffers.OperationStatus.Done) { i += used; continue; }
            if (i > runStart) EncodeOrdinary(Normalize(Encoding.UTF8.GetString(bytes[runStart..i])), ids);
            for (int k = 0; k < Math.Max(1, used); k++) ids.Add(ByteId(bytes[i + k]));
            i += Math.Max(1, used);
            runStart = i;
        }
        if (i > runStart) EncodeOrdinary(Normalize(Encoding.UTF8.GetString(bytes[runStart..i])), ids);
        return [.. ids];
    }

    // The id of a byte that is not part of valid UTF-8 text: its byte-level token, its <0xNN> token, else the unknown token.
    private int ByteId(byte b) => _byteIds[b] >= 0 ? _byteIds[b]
        : SentencePiece?.UnknownId ?? throw new ArgumentException($"bpe: byte 0x{b:X2} is not valid UTF-8 and the tokenizer has neither byte_fallback nor an unk_token");

    private const int CachedPieceLength = 256;

    // One pre-token: its UTF-8 bytes as single-byte ids (SentencePiece-style: its characters, else their <0xNN>
    // bytes, else the unknown token), then the lowest-ranked adjacent merge (leftmost on ties) until none applies.
    private int[] EncodePiece(string piece)
    {
        bool cache = piece.Length <= CachedPieceLength;
        if (cache)
            lock (_cacheLock)
                if (_cache.TryGetValue(piece, out var hit)) return hit;
        int[] result;
        if (SentencePiece is { } sp)
        {
            if (IgnoreMerges && _vocab.TryGetValue(piece, out int whole)) result = [whole];
            else result = Merge(Characters(piece, sp));
        }
        else
        {
            var bytes = Encoding.UTF8.GetBytes(piece);
            if (IgnoreMerges && _vocab.TryGetValue(ByteLevelAlphabet.ToText(bytes), out int whole)) result = [whole];
            else
            {
                var symbols = new List<int>(bytes.Length);
                foreach (byte b in bytes) symbols.Add(_byteIds[b]);
                result = Merge(symbols);
            }
        }
        if (cache)
            lock (_cacheLock)
                if (_cache.Count < 1 << 18) _cache[piece] = result;
        return result;
    }

    // SentencePiece-style initial symbols: each character's id, else its UTF-8 bytes' <0xNN> ids, else the unknown id.
    private List<int> Characters(string piece, SentencePieceBpe sp)
    {
        var symbols = new List<int>(piece.Length);
        bool lastUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in piece.EnumerateRunes())
        {
            if (_vocab.TryGetValue(rune.ToString(), out int id)) { symbols.Add(id); lastUnknown = false; }
            else if (sp.ByteFallback && HasByteTokens(utf8[..rune.EncodeToUtf8(utf8)]))
            {
                foreach (byte b in utf8[..rune.Utf8SequenceLength]) symbols.Add(_byteIds[b]);
                lastUnknown = false;
            }
            else if (sp.UnknownId is int unk)
            {
                if (!(sp.FuseUnknown && lastUnknown)) symbols.Add(unk);
                lastUnknown = true;
            }
        }
        return symbols;
    }

    private bool HasByteTokens(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            if (_byteIds[b] < 0) return false;
        return true;
    }

    // Applies the merges: the lowest rank first, the leftmost of equal ranks. Short pieces scan all pairs each round;
    // long ones (SentencePiece-style files have no pre-tokenizer, so a piece can be a whole document) use a queue.
    private int[] Merge(List<int> symbols)
    {
        if (symbols.Count > 32) return MergeQueued(symbols);
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestAt = -1, bestId = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_merges.TryGetValue(Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (bestRank, bestAt, bestId) = (m.Rank, i, m.Id);
            if (bestAt < 0) break;
            symbols[bestAt] = bestId;
            symbols.RemoveAt(bestAt + 1);
        }
        return [.. symbols];
    }

    private int[] MergeQueued(List<int> symbols)
    {
        int n = symbols.Count;
        int[] ids = [.. symbols];
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) (prev[i], next[i], alive[i]) = (i - 1, i + 1 < n ? i + 1 : -1, true);
        // Entries: (left position, left id, right id) by (rank, left position); an entry whose ids changed is stale.
        var queue = new PriorityQueue<(int Left, int LeftId, int RightId), (int Rank, int Position)>(n);
        void Push(int left)
        {
            int right = next[left];
            if (right >= 0 && _merges.TryGetValue(Key(ids[left], ids[right]), out var m)) queue.Enqueue((left, ids[left], ids[right]), (m.Rank, left));
        }
        for (int i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var e, out _))
        {
            int left = e.Left;
            if (!alive[left] || ids[left] != e.LeftId) continue;
            int right = next[left];
            if (right < 0 || ids[right] != e.RightId) continue;
            ids[left] = _merges[Key(ids[left], ids[right])].Id;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Push(prev[left]);
            Push(left);
        }
        var result = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return [.. result];
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        if (SentencePiece is not { } sp) return Encoding.UTF8.GetString(DecodeBytes(ids));
        var tokens = new List<string>(ids.Length);
        for (int i = 0; i < ids.Length; i++) tokens.Add(TokenOf(ids[i], i));
        return sp.Decoder?.Apply(tokens) ?? string.Join(' ', tokens);
    }

    private string TokenOf(int id, int position) =>
        _addedById.TryGetValue(id, out var special) ? special
        : (uint)id < (uint)_tokens.Length && _tokens[id] is { } token ? token
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"bpe: id {id} at position {position} is not in the vocabulary (size {VocabSize})");

    /// <summary>
    /// The bytes of <paramref name="ids"/> (added tokens contribute their content's UTF-8 bytes). SentencePiece-style:
    /// the UTF-8 of <see cref="Decode"/> (so bytes that are not valid UTF-8 come back as U+FFFD).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        if (SentencePiece is not null) return Encoding.UTF8.GetBytes(Decode(ids));
        var bytes = new List<byte>(ids.Length * 3);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (_addedById.TryGetValue(id, out var special)) { bytes.AddRange(Encoding.UTF8.GetBytes(special)); continue; }
            if ((uint)id >= (uint)_tokens.Length || _tokens[id] is not { } token)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"bpe: id {id} at position {i} is not in the vocabulary (size {VocabSize})");
            // As the Hugging Face ByteLevel decoder: a token with a character outside the byte-level alphabet is its own UTF-8.
            int before = bytes.Count;
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.TryByte(c, out byte b)) { bytes.Add(b); continue; }
                bytes.RemoveRange(before, bytes.Count - before);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                break;
            }
        }
        return [.. bytes];
    }
}
