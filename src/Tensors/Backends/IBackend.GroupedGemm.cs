// Kernel family: grouped GEMM, a list of independent 2-D products of different sizes run as one job (the
// expert GEMMs of a MoE layer: tokens sorted by expert, one weight matrix per expert; MegaBlocks-style).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Runs <c>c[i] = alpha * (a[i] @ b[i]) + beta * c[i]</c> for every i as one job: each entry is a 2-D GEMM with
    /// its own sizes, <paramref name="a"/>[i] (M_i, K_i), <paramref name="b"/>[i] (K_i, N_i), <paramref name="c"/>[i]
    /// (M_i, N_i), operands of any strides (views of one larger tensor, transposed views), the outputs not
    /// overlapping each other or the inputs. All entries share one floating dtype. The default runs one
    /// <see cref="Gemm"/> per entry; the CPU backend splits all entries into tiles and runs them on its threads
    /// together, with each element's reduction over K in the same order as <see cref="Gemm"/>'s packed path, so the
    /// result does not depend on the thread count.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length, or an entry's shapes or dtypes do not fit.</exception>
    void GemmGroup(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b, IReadOnlyList<Tensor> c, double alpha = 1, double beta = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        GemmGroupChecks.Lengths(a, b, c);
        for (int i = 0; i < c.Count; i++) Gemm(a[i], b[i], c[i], alpha, beta);
    }
}

/// <summary>Argument checks shared by the implementations of <see cref="IBackend.GemmGroup"/>.</summary>
internal static class GemmGroupChecks
{
    /// <summary>Throws unless the three lists have one entry per product.</summary>
    public static void Lengths(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b, IReadOnlyList<Tensor> c)
    {
        if (a.Count != b.Count || a.Count != c.Count)
            throw new ArgumentException($"gemm_group: expected one a, b and c per product, got {a.Count}, {b.Count} and {c.Count}");
    }
}
