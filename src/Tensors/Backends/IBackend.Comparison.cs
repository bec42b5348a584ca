// Kernel family: comparisons and logic producing bool tensors, where/select, finiteness tests, any/all.
namespace PluginMoE.Tensors.Backends;

/// <summary>Element-wise comparisons (IEEE semantics: every comparison with NaN is false except Ne).</summary>
public enum CompareOp
{
    /// <summary>a == b</summary>
    Eq,
    /// <summary>a != b</summary>
    Ne,
    /// <summary>a &lt; b</summary>
    Lt,
    /// <summary>a &lt;= b</summary>
    Le,
    /// <summary>a &gt; b</summary>
    Gt,
    /// <summary>a &gt;= b</summary>
    Ge,
}

/// <summary>Element-wise logical operations on bool tensors.</summary>
public enum LogicalOp
{
    /// <summary>a AND b</summary>
    And,
    /// <summary>a OR b</summary>
    Or,
    /// <summary>a XOR b</summary>
    Xor,
}

public partial interface IBackend
{
    /// <summary>
    /// <paramref name="op"/> of <paramref name="a"/> and <paramref name="b"/> broadcast together; both must have the
    /// same numeric type (float32/float64/int32/int64). Returns a bool tensor.
    /// </summary>
    Tensor Compare(CompareOp op, Tensor a, Tensor b);

    /// <summary><paramref name="op"/> of two bool tensors broadcast together.</summary>
    Tensor Logical(LogicalOp op, Tensor a, Tensor b);

    /// <summary>Element-wise NOT of a bool tensor.</summary>
    Tensor LogicalNot(Tensor a);

    /// <summary>
    /// <paramref name="a"/> where <paramref name="condition"/> (bool) is true, else <paramref name="b"/>; the three are
    /// broadcast together and <paramref name="a"/>, <paramref name="b"/> must share a type.
    /// </summary>
    Tensor Where(Tensor condition, Tensor a, Tensor b);

    /// <summary>True where the element is finite (not NaN or infinite); all true for integer and bool tensors.</summary>
    Tensor IsFinite(Tensor x);

    /// <summary>True where the element is NaN; all false for integer and bool tensors.</summary>
    Tensor IsNan(Tensor x);

    /// <summary>
    /// Whether any (<paramref name="all"/> false) or every (<paramref name="all"/> true) element is non-zero over
    /// <paramref name="dims"/> (sorted, distinct, non-negative; all dims when empty). Returns a bool tensor.
    /// </summary>
    Tensor AnyAll(Tensor x, int[] dims, bool keepdim, bool all);
}
