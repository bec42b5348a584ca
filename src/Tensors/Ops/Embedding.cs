// Embedding lookup (PyTorch's F.embedding): rows of a weight table selected by int64 ids. The weight
// gradient is a dense table into which only the rows that occur are accumulated (deterministic index_add).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Rows of <paramref name="weight"/> (num_embeddings, dim) selected by the int64 ids in <paramref name="input"/>
            /// (any shape); the result has shape (*input.shape, dim). The gradient of <paramref name="weight"/> is dense but is
            /// built in time proportional to ids x dim: repeated ids accumulate in order of appearance.
            /// </summary>
            /// <param name="input">int64 (or int32) ids in [0, num_embeddings).</param>
            /// <param name="weight">The 2-D embedding table.</param>
            /// <param name="padding_idx">A row that receives no gradient (negative counts from the end), or null.</param>
            /// <exception cref="IndexOutOfRangeException">An id is outside [0, num_embeddings).</exception>
            public static Tensor embedding(Tensor input, Tensor weight, long? padding_idx = null)
            {
                ArgumentNullException.ThrowIfNull(input);
                ArgumentNullException.ThrowIfNull(weight);
                if (weight.Sizes.Length != 2)
                    throw new ArgumentException($"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {Shape.Format(weight.Sizes)}", nameof(weight));
                var ids = Tensor.AsIndex(input, "embedding", nameof(input));
                int num = weight.Sizes[0], dim = weight.Sizes[1];
                int pad = -1;
                if (padding_idx is long p)
                {
                    if (p < -num || p >= num)
                        throw new ArgumentOutOfRangeException(nameof(padding_idx), p, $"embedding: padding_idx must be within [{-num}, {num - 1}] for {num} embeddings");
                    pad = (int)(p < 0 ? p + num : p);
                }
                var flat = new Tensor(ids.Storage, [ids.NumelCached], [1], ids.Offset, ScalarType.Int64);
                Backends.IndexBounds.Check(flat, num, "embedding", 0);
                var rows = weight.backend.IndexSelect(weight, 0, flat);                        // (n, dim)
                var outSizes = new int[ids.Sizes.Length + 1];
                ids.Sizes.CopyTo(outSizes, 0);
                outSizes[^1] = dim;
                var r = new Tensor(rows.Storage, outSizes, Shape.ContiguousStrides(outSizes), rows.Offset, rows.dtype);
                var wSizes = weight.Sizes;
                return Tensor.Record(r, "EmbeddingBackward", [weight], g =>
                {
                    var gw = Tensor.Zeros(g.dtype, (int[])wSizes.Clone(), g.device);
                    var g2 = g.reshape(flat.NumelCached, dim);
                    g.backend.IndexAddInto(gw, 0, flat, g2, 1.0);
                    if (pad >= 0) gw.select(0, pad).zero_();
                    return [gw];
                });
            }
        }
    }
}
