// Kernel family: general matrix multiplication (GEMM), C = alpha * A @ B + beta * C, batched over
// leading dimensions, with operands of any strides (transposes are strides, never copies).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Batched GEMM in place: <c>c = alpha * (a @ b) + beta * c</c> for every batch index.
    /// <paramref name="a"/> is (..., M, K), <paramref name="b"/> is (..., K, N) and <paramref name="c"/> is
    /// (..., M, N), all of the same rank and the same leading (batch) sizes; <paramref name="a"/> and
    /// <paramref name="b"/> may have any strides (including 0 along broadcast batch dims and transposed
    /// last two dims), <paramref name="c"/> any strides without overlap. All three share one floating dtype
    /// (float32 or float64). With <paramref name="beta"/> = 0 the old contents of <paramref name="c"/> are
    /// ignored (NaNs in it do not propagate), as in BLAS. Results are bitwise identical for the same inputs
    /// regardless of <see cref="ParallelFor.Threads"/>.
    /// </summary>
    void Gemm(Tensor a, Tensor b, Tensor c, double alpha = 1, double beta = 0);

    /// <summary>
    /// A new contiguous (..., M, N) tensor holding <c>a @ b</c>, where <paramref name="a"/> is (..., M, K) and
    /// <paramref name="b"/> is (..., K, N) with equal leading sizes (see <see cref="Gemm"/>).
    /// </summary>
    Tensor Matmul(Tensor a, Tensor b);
}
