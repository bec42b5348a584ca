// OWNER: gemm helper. Placeholder signatures; the real implementation replaces this file.
namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>Matrix product with PyTorch's matmul semantics (1-D, 2-D and batched with broadcast batch dims).</summary>
    public static Tensor matmul(Tensor a, Tensor b) => throw new NotImplementedException("matmul");

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary><c>input @ weight^T + bias</c>; weight is (out_features, in_features).</summary>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) => throw new NotImplementedException("linear");
        }
    }
}

public partial class Tensor
{
    /// <summary>Matrix product (see <see cref="torch.matmul"/>).</summary>
    public Tensor matmul(Tensor other) => torch.matmul(this, other);
}
