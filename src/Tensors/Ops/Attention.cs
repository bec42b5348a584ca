// Scaled dot-product attention (Vaswani et al. 2017, eq. 1) as one fused kernel pair (FlashAttention-2, Dao 2023),
// with grouped-query heads (Ainslie et al. 2023) and a bottom-right causal mask for KV-cache decoding.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Query rows per block and keys per block of the fused attention kernels (memory per worker is about
            /// this squared). A tuning knob; tests set it small to exercise the blocked path.
            /// </summary>
            internal static int AttentionBlockSize
            {
                get => AttentionBlockScoped.Value ?? 64;
                set => AttentionBlockScoped.Value = value; // scoped to the current async flow, so tests do not disturb each other
            }

            private static readonly AsyncLocal<int?> AttentionBlockScoped = new();

            /// <summary>
            /// Scaled dot-product attention, <c>softmax(scale * Q K^T + mask) V</c>, computed by a fused kernel that never
            /// materialises the T x S score matrix (online softmax over key blocks; backward recomputes the scores from
            /// the saved row logsumexp). Gradients flow to query, key and value.
            /// <para>
            /// Grouped-query attention: when Hq is a multiple of Hkv, query head <c>h</c> uses key/value head
            /// <c>h / (Hq / Hkv)</c> (Hq = Hkv is ordinary multi-head attention, Hkv = 1 multi-query attention).
            /// </para>
            /// <para>
            /// Causal mask alignment: with <paramref name="is_causal"/>, query <c>i</c> attends to keys
            /// <c>j &lt;= i + (S - T)</c>, i.e. the mask is aligned to the bottom-right corner. For S = T this is the usual
            /// lower-triangular mask; for S &gt; T (decoding T new tokens against a KV cache of S keys that ends with
            /// them) each new token sees the whole cache up to itself, which is what decoding needs. PyTorch 1.13
            /// aligns to the top-left instead (query i sees keys j &lt;= i), which differs whenever S != T; PyTorch 2.x
            /// calls the alignment used here <c>causal_lower_right</c>. S &lt; T is rejected with a causal mask.
            /// </para>
            /// </summary>
            /// <param name="query">Queries (B, Hq, T, D) (or (Hq, T, D)), float32/float64; any strides, e.g. a (B, T, H, D) tensor transposed.</param>
            /// <param name="key">Keys (B, Hkv, S, D), same dtype.</param>
            /// <param name="value">Values (B, Hkv, S, Dv), same dtype.</param>
            /// <param name="is_causal">Apply the bottom-right aligned causal mask described above.</param>
            /// <param name="scale">Score multiplier; null for <c>1 / sqrt(D)</c>.</param>
            /// <param name="dropout_p">Attention dropout; only 0 is supported.</param>
            /// <returns>(B, Hq, T, Dv) (or (Hq, T, Dv) for 3-D inputs).</returns>
            /// <exception cref="ArgumentException">Ranks, shapes, head counts or dtypes do not fit together.</exception>
            /// <exception cref="NotSupportedException"><paramref name="dropout_p"/> is not 0.</exception>
            public static Tensor scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, bool is_causal = false, double? scale = null, double dropout_p = 0.0)
            {
                const string op = "scaled_dot_product_attention";
                ArgumentNullException.ThrowIfNull(query);
                ArgumentNullException.ThrowIfNull(key);
                ArgumentNullException.ThrowIfNull(value);
                if (dropout_p != 0)
                    throw new NotSupportedException($"{op}: dropout_p = {dropout_p} is not supported by the fused kernel; pass 0 (apply dropout to the attention output instead)");
                int rank = query.dim();
                if (rank != key.dim() || rank != value.dim() || rank is not (3 or 4))
                    throw new ArgumentException(
                        $"{op}: query, key and value must all be 4-D (B, H, T, D) or all 3-D (H, T, D); got {Shape.Format(query.Sizes)}, {Shape.Format(key.Sizes)}, {Shape.Format(value.Sizes)}");
                if (rank == 3)
                    return scaled_dot_product_attention(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), is_causal, scale, dropout_p).squeeze(0);
                if (query.dtype is not (ScalarType.Float32 or ScalarType.Float64) || key.dtype != query.dtype || value.dtype != query.dtype)
                    throw new ArgumentException(
                        $"{op}: query, key and value must share a float32/float64 dtype; got {query.dtype.TorchName()}, {key.dtype.TorchName()}, {value.dtype.TorchName()}");
                int b = query.Sizes[0], hq = query.Sizes[1], t = query.Sizes[2], d = query.Sizes[3];
                int hkv = key.Sizes[1], s = key.Sizes[2];
                string shapes = $"query {Shape.Format(query.Sizes)}, key {Shape.Format(key.Sizes)}, value {Shape.Format(value.Sizes)}";
                if (key.Sizes[0] != b || value.Sizes[0] != b)
                    throw new ArgumentException($"{op}: batch sizes differ ({shapes}); expected (B, Hq, T, D), (B, Hkv, S, D), (B, Hkv, S, Dv)");
                if (key.Sizes[3] != d)
                    throw new ArgumentException($"{op}: query and key head dims differ ({shapes}); q.k needs the same D");
                if (value.Sizes[1] != hkv || value.Sizes[2] != s)
                    throw new ArgumentException($"{op}: key and value must have the same heads and length (B, Hkv, S, .) ({shapes})");
                if (hkv == 0 || hq % hkv != 0)
                    throw new ArgumentException($"{op}: query heads ({hq}) must be a multiple of key/value heads ({hkv}) for grouped-query attention ({shapes})");
                if (s == 0 && t > 0)
                    throw new ArgumentException($"{op}: there are no keys to attend to ({shapes})");
                if (is_causal && s < t)
                    throw new ArgumentException(
                        $"{op}: is_causal with fewer keys (S = {s}) than queries (T = {t}) would leave queries with nothing to attend; " +
                        "the causal mask is bottom-right aligned (query i sees keys j <= i + S - T), so S must be at least T ({shapes})");
                double sc = scale ?? 1.0 / Math.Sqrt(d);
                int bs = AttentionBlockSize;
                var q = RowContiguous(query);
                var k = RowContiguous(key);
                var v = RowContiguous(value);
                var (o, lse) = q.backend.AttentionForward(q, k, v, is_causal, sc, bs);
                return Tensor.Record(o, "ScaledDotProductAttentionBackward", [q, k, v], g =>
                {
                    var (dq, dk, dv) = q.backend.AttentionBackward(RowContiguous(g), q, k, v, o, lse, is_causal, sc, bs);
                    return [dq, dk, dv];
                });
            }

            /// <summary>The tensor itself when its last dim has stride 1 (what the attention kernels need), else a contiguous copy.</summary>
            private static Tensor RowContiguous(Tensor x) => x.Strides[^1] == 1 ? x : x.contiguous();
        }
    }
}
