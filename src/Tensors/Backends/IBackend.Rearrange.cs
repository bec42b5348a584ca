// Kernel family: element rearrangements and masks that keep the shape (tril/triu, flip).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Copy of <paramref name="x"/> (rank &gt;= 2) with the elements of each trailing matrix outside its lower
    /// (j - i &lt;= <paramref name="diagonal"/>) or, when <paramref name="upper"/>, upper (j - i &gt;= diagonal) triangle set to zero.
    /// </summary>
    Tensor Triangle(Tensor x, long diagonal, bool upper);

    /// <summary>Contiguous copy of <paramref name="x"/> with the order of the given (distinct, non-negative) dims reversed.</summary>
    Tensor Flip(Tensor x, int[] dims);
}
