// Rotary position embedding (Su et al. 2021, RoFormer eq. 34) in the Llama/HF "rotate-half" layout: a
// precomputed (cos, sin) cache indexed by absolute position, so KV-cache decoding passes a position offset.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// The rotary cache for <see cref="apply_rotary_emb(Tensor, Tensor, Tensor, long)"/>:
            /// <c>cos[p, i] = cos(p * theta^(-2i / headDim))</c> and the matching <c>sin</c>, for positions
            /// <c>0 .. maxPositions-1</c> and frequency index <c>i &lt; headDim / 2</c>. Angles are computed in float64
            /// and rounded once to <paramref name="dtype"/>. HF's <c>LlamaRotaryEmbedding</c> holds the same numbers
            /// twice (its tables are <c>cat(freqs, freqs)</c>, width headDim); this cache keeps one copy (width headDim/2).
            /// Build it once per model and share it across layers.
            /// </summary>
            /// <param name="headDim">Head dimension D (even).</param>
            /// <param name="maxPositions">Number of positions covered (context length).</param>
            /// <param name="theta">RoPE base (10000 for Llama 2, 500000 for Llama 3).</param>
            /// <param name="dtype">Float32 or float64; must match the tensors it is applied to.</param>
            /// <returns>(cos, sin), each (maxPositions, headDim / 2).</returns>
            /// <exception cref="ArgumentException">headDim is odd or not positive, maxPositions or theta is not positive, or dtype is not a float type.</exception>
            public static (Tensor cos, Tensor sin) rope_cache(int headDim, int maxPositions, double theta = 10000.0, ScalarType dtype = ScalarType.Float32)
            {
                if (maxPositions <= 0) throw new ArgumentException($"rope_cache: maxPositions must be positive, got {maxPositions}", nameof(maxPositions));
                var positions = new long[maxPositions];
                for (int p = 0; p < maxPositions; p++) positions[p] = p;
                return RopeTables(headDim, positions, theta, dtype, "rope_cache");
            }

            /// <summary>
            /// Applies rotary position embedding to <paramref name="x"/> (B, H, T, D) (any rank of at least 2 with the
            /// sequence and head dims last) using cache rows <c>positionOffset .. positionOffset + T - 1</c>: for a
            /// prompt pass 0; when decoding with a KV cache pass the number of tokens already cached. Element
            /// <c>i</c> and <c>i + D/2</c> of each head vector are rotated together:
            /// <c>(x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)</c>, as HF's <c>apply_rotary_pos_emb</c> with
            /// <c>rotate_half</c>. Backward is the inverse rotation; the cache receives no gradient.
            /// </summary>
            /// <param name="x">Float tensor (..., T, D) with D even; typically q or k as (B, H, T, D).</param>
            /// <param name="cos">Cosine table from <see cref="rope_cache"/>, (P, D/2), dtype of <paramref name="x"/>.</param>
            /// <param name="sin">Sine table from <see cref="rope_cache"/>, (P, D/2).</param>
            /// <param name="positionOffset">Absolute position of the first of the T tokens.</param>
            /// <returns>The rotated tensor, shape of <paramref name="x"/>.</returns>
            /// <exception cref="ArgumentException">Shapes or dtypes do not fit, or the positions run past the cache.</exception>
            public static Tensor apply_rotary_emb(Tensor x, Tensor cos, Tensor sin, long positionOffset = 0)
            {
                ArgumentNullException.ThrowIfNull(x);
                if (x.dim() < 2) throw new ArgumentException($"apply_rotary_emb: x must be (..., T, D), got shape {Shape.Format(x.Sizes)}");
                long seq = x.size(-2);
                return apply_rotary_emb(x, cos, sin, arange(positionOffset, positionOffset + seq));
            }

            /// <summary>
            /// Applies rotary position embedding with explicit positions: <paramref name="positions"/> is (T), shared by
            /// every sequence, or (B, T) per batch row (left-padded batches, packed sequences, batched decoding at
            /// different lengths; x then is (B, ..., T, D)). See <see cref="apply_rotary_emb(Tensor, Tensor, Tensor, long)"/>.
            /// </summary>
            /// <param name="x">Float tensor (..., T, D) with D even.</param>
            /// <param name="cos">Cosine table (P, D/2).</param>
            /// <param name="sin">Sine table (P, D/2).</param>
            /// <param name="positions">Int64 or int32 positions in [0, P), shape (T) or (B, T).</param>
            /// <returns>The rotated tensor, shape of <paramref name="x"/>.</returns>
            /// <exception cref="ArgumentException">Shapes or dtypes do not fit, or a position is outside the cache.</exception>
            public static Tensor apply_rotary_emb(Tensor x, Tensor cos, Tensor sin, Tensor positions)
            {
                ArgumentNullException.ThrowIfNull(x);
                ArgumentNullException.ThrowIfNull(cos);
                ArgumentNullException.ThrowIfNull(sin);
                ArgumentNullException.ThrowIfNull(positions);
                const string op = "apply_rotary_emb";
                if (x.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                    throw new ArgumentException($"{op}: x must be float32 or float64, got {x.dtype.TorchName()}");
                int rank = x.dim();
                if (rank < 2 || x.Sizes[rank - 1] % 2 != 0)
                    throw new ArgumentException($"{op}: x must be (..., T, D) with an even head dim D, got shape {Shape.Format(x.Sizes)}");
                int seq = x.Sizes[rank - 2], half = x.Sizes[rank - 1] / 2;
                foreach (var (name, table) in new[] { ("cos", cos), ("sin", sin) })
                {
                    if (table.dim() != 2 || table.Sizes[1] != half)
                        throw new ArgumentException(
                            $"{op}: {name} must be (positions, D/2) = (P, {half}) for x of shape {Shape.Format(x.Sizes)}, got {Shape.Format(table.Sizes)}; build it with rope_cache(headDim: {2 * half}, ...)");
                    if (table.dtype != x.dtype)
                        throw new ArgumentException($"{op}: {name} is {table.dtype.TorchName()} but x is {x.dtype.TorchName()}; build the cache with dtype {x.dtype.TorchName()}");
                }
                if (!Shape.Equal(cos.Sizes, sin.Sizes))
                    throw new ArgumentException($"{op}: cos {Shape.Format(cos.Sizes)} and sin {Shape.Format(sin.Sizes)} must have the same shape");
                if (!positions.dtype.IsInteger())
                    throw new ArgumentException($"{op}: positions must be int64 or int32, got {positions.dtype.TorchName()}");
                bool shared = positions.dim() == 1 && positions.Sizes[0] == seq;
                bool perBatch = positions.dim() == 2 && positions.Sizes[1] == seq && rank >= 3 && positions.Sizes[0] == x.Sizes[0];
                if (!shared && !perBatch)
                    throw new ArgumentException(
                        $"{op}: positions must be (T) = ({seq}) or (B, T) = ({(rank >= 3 ? x.Sizes[0] : 1)}, {seq}) for x of shape {Shape.Format(x.Sizes)}, got {Shape.Format(positions.Sizes)}");
                var pos = positions.to(ScalarType.Int64).contiguous();
                int maxPos = cos.Sizes[0];
                foreach (var p in pos.data<long>())
                    if (p < 0 || p >= maxPos)
                        throw new ArgumentException($"{op}: position {p} is outside the rotary cache of {maxPos} positions; build a larger cache with rope_cache(maxPositions: ...)");
                var xc = x.Strides[rank - 1] == 1 ? x : x.contiguous(); // the kernels read any layout with contiguous rows
                var c = cos.detach().contiguous();
                var s = sin.detach().contiguous();
                var y = xc.backend.RotaryApply(xc, c, s, pos, inverse: false);
                return Tensor.Record(y, "RotaryEmbeddingBackward", [xc], g => [xc.backend.RotaryApply(g.contiguous(), c, s, pos, inverse: true)]);
            }

            /// <summary>
            /// Rotary position embedding without a prebuilt cache: computes the angles for <paramref name="positions"/>
            /// (default <c>0 .. T-1</c>) and applies them to <paramref name="x"/> (..., T, D). Convenient for tests and
            /// one-off calls; models should build a <see cref="rope_cache"/> once and call
            /// <see cref="apply_rotary_emb(Tensor, Tensor, Tensor, long)"/>.
            /// </summary>
            /// <param name="x">Float tensor (..., T, D) with D even.</param>
            /// <param name="positions">T absolute positions (non-negative), or null for 0 .. T-1.</param>
            /// <param name="theta">RoPE base.</param>
            /// <returns>The rotated tensor, shape of <paramref name="x"/>.</returns>
            public static Tensor rotary_embedding(Tensor x, long[]? positions = null, double theta = 10000.0)
            {
                ArgumentNullException.ThrowIfNull(x);
                if (x.dim() < 2) throw new ArgumentException($"rotary_embedding: x must be (..., T, D), got shape {Shape.Format(x.Sizes)}");
                int seq = x.Sizes[^2];
                if (positions is null)
                {
                    positions = new long[seq];
                    for (int t = 0; t < seq; t++) positions[t] = t;
                }
                if (positions.Length != seq)
                    throw new ArgumentException($"rotary_embedding: got {positions.Length} positions for T = {seq} (x of shape {Shape.Format(x.Sizes)})");
                var (cos, sin) = RopeTables(x.Sizes[^1], positions, theta, x.dtype, "rotary_embedding");
                return apply_rotary_emb(x, cos, sin, 0);
            }

            /// <summary>(cos, sin) tables, one row per entry of <paramref name="positions"/>.</summary>
            private static (Tensor cos, Tensor sin) RopeTables(int headDim, long[] positions, double theta, ScalarType dtype, string op)
            {
                if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"{op}: the head dim must be positive and even, got {headDim}");
                if (!(theta > 0)) throw new ArgumentException($"{op}: theta must be positive, got {theta}");
                if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
                    throw new ArgumentException($"{op}: dtype must be float32 or float64, got {dtype.TorchName()}");
                int half = headDim / 2, n = positions.Length;
                var invFreq = new double[half];
                for (int i = 0; i < half; i++) invFreq[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
                var cos = new double[n * half];
                var sin = new double[n * half];
                for (int r = 0; r < n; r++)
                {
                    if (positions[r] < 0) throw new ArgumentException($"{op}: positions must be non-negative, got {positions[r]}");
                    for (int i = 0; i < half; i++)
                    {
                        double a = positions[r] * invFreq[i];
                        cos[r * half + i] = Math.Cos(a);
                        sin[r * half + i] = Math.Sin(a);
                    }
                }
                return (OnDefaultDevice(Tensor.Wrap(cos, [n, half]).to(dtype)), OnDefaultDevice(Tensor.Wrap(sin, [n, half]).to(dtype)));
            }
        }
    }
}
