// Kernel family: broadcasting element-wise arithmetic and sum reductions.
namespace PluginMoE.Tensors.Backends;

/// <summary>Element-wise binary operations with NumPy broadcasting.</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>max(a, b) (NaN propagates)</summary>
    Maximum,
    /// <summary>min(a, b) (NaN propagates)</summary>
    Minimum,
    /// <summary>a ^ b (floating types only)</summary>
    Pow,
}

public partial interface IBackend
{
    /// <summary>
    /// <paramref name="op"/> applied to <paramref name="a"/> and <paramref name="b"/> broadcast together; both
    /// must already have the result type.
    /// </summary>
    Tensor Binary(BinaryOp op, Tensor a, Tensor b);

    /// <summary>Sum over <paramref name="dims"/> (sorted, distinct, non-negative); all dims when empty.</summary>
    Tensor Sum(Tensor x, int[] dims, bool keepdim);
}
