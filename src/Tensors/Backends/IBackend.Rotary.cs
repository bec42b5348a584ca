// Kernel family: rotary position embedding (Su et al. 2021, RoFormer eq. 34) in the Llama rotate-half layout.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Rotates each (T, D) row block of <paramref name="x"/> by its position's angles, pairing element <c>i</c> with
    /// <c>i + D/2</c>: <c>(x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)</c>. With <paramref name="inverse"/> the
    /// rotation is by the negative angle, which is the backward of the forward rotation.
    /// </summary>
    /// <param name="x">Contiguous float tensor (..., T, D), D even.</param>
    /// <param name="cos">Contiguous (P, D/2) table, <c>cos[p, i] = cos(p * theta^(-2i/D))</c>, same dtype as x.</param>
    /// <param name="sin">Contiguous (P, D/2) table of the matching sines.</param>
    /// <param name="positions">Contiguous int64 row indices into the tables, (T) shared by all rows of x, or (B, T) per
    /// leading index of x (x then has rank 3 or more and B = x.size(0)); every value in [0, P).</param>
    /// <param name="inverse">Rotate by the negative angle.</param>
    /// <returns>A new tensor of the shape of <paramref name="x"/>.</returns>
    Tensor RotaryApply(Tensor x, Tensor cos, Tensor sin, Tensor positions, bool inverse);
}
