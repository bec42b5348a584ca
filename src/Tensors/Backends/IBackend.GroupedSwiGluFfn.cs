// Kernel family: the grouped SwiGLU expert MLP of a MoE layer, y_e = (silu(x_e Wg_e^T) * (x_e Wu_e^T)) Wd_e^T for the
// expert-sorted row groups x_e (Shazeer 2020 SwiGLU; MegaBlocks-style grouping), forward and backward as one job each.
// The backward takes only the inputs: the CPU backend recomputes the hidden activations per row block in cache.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// The grouped SwiGLU MLP: <paramref name="x"/> (R, d) holds one group of rows per expert, group e being rows
    /// [<paramref name="starts"/>[e], starts[e + 1]), and row r of group e becomes
    /// <c>(silu(x_r Wg_e^T) * (x_r Wu_e^T)) Wd_e^T</c> with <paramref name="gate"/>[e] and <paramref name="up"/>[e] (H, d)
    /// and <paramref name="down"/>[e] (d, H), so the result is a new contiguous (R, d). The default composes
    /// <see cref="GemmGroup"/> and <see cref="SwiGlu"/> (the hidden activations in memory); the CPU backend runs every
    /// expert's rows in blocks whose hidden activations stay in cache.
    /// </summary>
    Tensor GroupedSwiGluFfn(Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
    {
        var (g, u) = GroupedSwiGluFfnParts.Hidden(this, x, gate, up, starts);
        var a = SwiGlu(g, u);
        return GroupedSwiGluFfnParts.Project(this, a, down, starts, x.Sizes[1], transposed: true);
    }

    /// <summary>
    /// The gradients of <see cref="GroupedSwiGluFfn"/> for the output gradient <paramref name="grad"/> (R, d): the input
    /// gradient (R, d) and, per expert, the gradients of its gate, up and down weights (null for an expert without rows,
    /// as if it had not been used). The default recomputes the hidden activations with the kernels of the forward and
    /// composes <see cref="GemmGroup"/> and <see cref="SwiGluBackward"/>; the CPU backend works per row block in cache,
    /// summing each expert's weight gradient over fixed blocks of rows in a fixed order (the result does not depend on
    /// the thread count).
    /// </summary>
    (Tensor Input, Tensor?[] Gate, Tensor?[] Up, Tensor?[] Down) GroupedSwiGluFfnBackward(
        Tensor grad, Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<int> starts)
    {
        int e = gate.Count, d = x.Sizes[1], h = gate[0].Sizes[0];
        var (g, u) = GroupedSwiGluFfnParts.Hidden(this, x, gate, up, starts);
        var a = SwiGlu(g, u);
        var da = GroupedSwiGluFfnParts.Project(this, grad, down, starts, h, transposed: false); // dA_e = dy_e Wd_e
        var (dg, du) = SwiGluBackward(da, g, u);
        var dx = GroupedSwiGluFfnParts.Project(this, dg, gate, starts, d, transposed: false);   // dg_e Wg_e
        var dxUp = GroupedSwiGluFfnParts.Project(this, du, up, starts, d, transposed: false);  // du_e Wu_e
        dx = Binary(BinaryOp.Add, dx, dxUp);
        var dGate = new Tensor?[e];
        var dUp = new Tensor?[e];
        var dDown = new Tensor?[e];
        var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (int i = 0; i < e; i++)
        {
            int r0 = starts[i], cnt = starts[i + 1] - starts[i];
            if (cnt == 0) continue;
            var xr = GroupedSwiGluFfnParts.Rows(x, r0, cnt);
            dGate[i] = Tensor.Empty(x.dtype, [h, d], x.device);
            dUp[i] = Tensor.Empty(x.dtype, [h, d], x.device);
            dDown[i] = Tensor.Empty(x.dtype, [d, h], x.device);
            la.Add(GroupedSwiGluFfnParts.T(GroupedSwiGluFfnParts.Rows(dg, r0, cnt))); lb.Add(xr); lc.Add(dGate[i]!);
            la.Add(GroupedSwiGluFfnParts.T(GroupedSwiGluFfnParts.Rows(du, r0, cnt))); lb.Add(xr); lc.Add(dUp[i]!);
            la.Add(GroupedSwiGluFfnParts.T(GroupedSwiGluFfnParts.Rows(grad, r0, cnt))); lb.Add(GroupedSwiGluFfnParts.Rows(a, r0, cnt)); lc.Add(dDown[i]!);
        }
        if (lc.Count > 0) GemmGroup(la, lb, lc);
        return (dx, dGate, dUp, dDown);
    }
}

/// <summary>Views and grouped products shared by the default <see cref="IBackend.GroupedSwiGluFfn"/> and its backward.</summary>
internal static class GroupedSwiGluFfnParts
{
    /// <summary>Rows [start, start + count) of a 2-D tensor as a view.</summary>
    public static Tensor Rows(Tensor t, int start, int count) =>
        new(t.Storage, [count, t.Sizes[1]], [t.Strides[0], t.Strides[1]], t.Offset + start * t.Strides[0], t.dtype);

    /// <summary>The transposed view of a 2-D tensor.</summary>
    public static Tensor T(Tensor t) => new(t.Storage, [t.Sizes[1], t.Sizes[0]], [t.Strides[1], t.Strides[0]], t.Offset, t.dtype);

    /// <summary>The gate and up activations x_e Wg_e^T and x_e Wu_e^T, (R, H) each, as one grouped GEMM.</summary>
    public static (Tensor Gate, Tensor Up) Hidden(IBackend be, Tensor x, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<int> starts)
    {
        int h = gate[0].Sizes[0];
        var g = Tensor.Empty(x.dtype, [x.Sizes[0], h], x.device);
        var u = Tensor.Empty(x.dtype, [x.Sizes[0], h], x.device);
        var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (int i = 0; i < gate.Count; i++)
        {
            int r0 = starts[i], cnt = starts[i + 1] - starts[i];
            if (cnt == 0) continue;
            var xr = Rows(x, r0, cnt);
            la.Add(xr); lb.Add(T(gate[i])); lc.Add(Rows(g, r0, cnt));
            la.Add(xr); lb.Add(T(up[i])); lc.Add(Rows(u, r0, cnt));
        }
        if (lc.Count > 0) be.GemmGroup(la, lb, lc);
        return (g, u);
    }

    /// <summary>Per group, rows of <paramref name="a"/> times w_e^T (<paramref name="transposed"/>) or w_e: (R, n).</summary>
    public static Tensor Project(IBackend be, Tensor a, IReadOnlyList<Tensor> w, IReadOnlyList<int> starts, int n, bool transposed)
    {
        var y = Tensor.Empty(a.dtype, [a.Sizes[0], n], a.device);
        var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (int i = 0; i < w.Count; i++)
        {
            int r0 = starts[i], cnt = starts[i + 1] - starts[i];
            if (cnt == 0) continue;
            la.Add(Rows(a, r0, cnt)); lb.Add(transposed ? T(w[i]) : w[i]); lc.Add(Rows(y, r0, cnt));
        }
        if (lc.Count > 0) be.GemmGroup(la, lb, lc);
        return y;
    }
}
