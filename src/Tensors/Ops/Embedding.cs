// OWNER: indexing helper. Placeholder signature; the real implementation replaces this file.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>Rows of <paramref name="weight"/> (num_embeddings, dim) selected by the int64 ids in <paramref name="input"/>.</summary>
            public static Tensor embedding(Tensor input, Tensor weight) => throw new NotImplementedException("embedding");
        }
    }
}
