// nn.Embedding: a lookup table of num_embeddings vectors, initialised N(0, 1), padding row zero.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Lookup table mapping int64 ids to rows of a learned matrix (PyTorch's <c>torch.nn.Embedding</c>).</summary>
        public sealed class Embedding : Module<Tensor, Tensor>
        {
            /// <summary>The table, shape (num_embeddings, embedding_dim).</summary>
            public readonly Parameter weight;

            /// <summary>Number of rows.</summary>
            public long num_embeddings { get; }

            /// <summary>Size of each row.</summary>
            public long embedding_dim { get; }

            /// <summary>The row kept at zero at init (non-negative), or null.</summary>
            public long? padding_idx { get; }

            /// <summary>Creates the table with N(0, 1) entries; the <paramref name="padding_idx"/> row (if any) is zero.</summary>
            /// <param name="num_embeddings">Number of rows (vocabulary size).</param>
            /// <param name="embedding_dim">Size of each row.</param>
            /// <param name="padding_idx">A row to zero at init; negative values count from the end.</param>
            /// <param name="generator">Random source for the init (the default generator when null).</param>
            /// <param name="dtype">Parameter element type.</param>
            public Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null, Generator? generator = null, ScalarType dtype = ScalarType.Float32)
            {
                if (num_embeddings < 0 || embedding_dim < 0)
                    throw new ArgumentException($"Embedding: num_embeddings ({num_embeddings}) and embedding_dim ({embedding_dim}) must be non-negative");
                if (padding_idx is { } pi)
                {
                    if (pi >= num_embeddings || pi < -num_embeddings)
                        throw new ArgumentException($"Embedding: padding_idx {pi} must be within [-{num_embeddings}, {num_embeddings})", nameof(padding_idx));
                    this.padding_idx = pi < 0 ? pi + num_embeddings : pi;
                }
                this.num_embeddings = num_embeddings;
                this.embedding_dim = embedding_dim;
                weight = new Parameter(empty([num_embeddings, embedding_dim], dtype));
                init.normal_(weight, 0, 1, generator);
                if (this.padding_idx is { } row)
                    using (no_grad()) weight[row].zero_();
                register_parameter("weight", weight);
            }

            /// <summary>ids (*) int64 -> (*, embedding_dim).</summary>
            public override Tensor forward(Tensor input) => functional.embedding(input, weight);

            /// <inheritdoc/>
            public override string extra_repr() =>
                $"{num_embeddings}, {embedding_dim}" + (padding_idx is { } p ? $", padding_idx={p}" : "");
        }
    }
}
