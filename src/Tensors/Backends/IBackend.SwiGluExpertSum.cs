// Kernel family: the routed SwiGLU experts of a MoE layer for a handful of tokens (KV-cache decoding), token by token:
// y_t = a_t + sum_s w_s * (silu(x_t Wg_e^T) * (x_t Wu_e^T)) Wd_e^T over the token's slots s = (t, e, w_s), without the
// expert-sorted gather, grouped GEMM and scatter-add of the batched dispatch (Shazeer 2020 SwiGLU; Mixtral-style top-k sum).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// The weighted sum of SwiGLU experts over explicit token slots, for inference: slot s sends row
    /// <paramref name="tokens"/>[s] of <paramref name="x"/> (N, d) through expert <paramref name="experts"/>[s] and adds
    /// <c>weights[s] * (silu(x_t Wg_e^T) * (x_t Wu_e^T)) Wd_e^T</c> to that row of the result, a new contiguous (N, d)
    /// that starts as a copy of <paramref name="addTo"/> (or zeros when null). <paramref name="gate"/>[e] and
    /// <paramref name="up"/>[e] are (H_e, d), <paramref name="down"/>[e] (d, H_e); the hidden widths may differ between
    /// experts. Each row sums its contributions in increasing expert id (the slots of one expert in the order given), each
    /// rounded as <c>y + (w * ffn)</c>, so a kernel that computes the products as the one-row GEMM does gives bitwise the
    /// batched dispatch's result. The default computes every slot with <see cref="Gemm"/> and <see cref="SwiGlu"/>; the CPU
    /// backend reads each chosen expert's weights once (gate and up in one pass with the SwiGLU fused, the down projection
    /// accumulating the weighted output in place), split over threads by weight rows. No autograd.
    /// </summary>
    Tensor SwiGluExpertSum(Tensor x, IReadOnlyList<int> tokens, IReadOnlyList<int> experts, IReadOnlyList<double> weights,
        IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, Tensor? addTo)
    {
        int n = x.Sizes[0], d = x.Sizes[1];
        var y = Tensor.Empty(x.dtype, [n, d], x.device);
        if (addTo is null) Fill(y, 0);
        else CopyInto(y, addTo);
        for (int e = 0; e < gate.Count; e++)
            for (int s = 0; s < tokens.Count; s++)
            {
                if (experts[s] != e) continue;
                int h = gate[e].Sizes[0];
                var xr = GroupedSwiGluFfnParts.Rows(x, tokens[s], 1);
                var g = Tensor.Empty(x.dtype, [1, h], x.device);
                var u = Tensor.Empty(x.dtype, [1, h], x.device);
                Gemm(xr, GroupedSwiGluFfnParts.T(gate[e]), g);
                Gemm(xr, GroupedSwiGluFfnParts.T(up[e]), u);
                var o = Tensor.Empty(x.dtype, [1, d], x.device);
                Gemm(SwiGlu(g, u), GroupedSwiGluFfnParts.T(down[e]), o);
                var w = Tensor.Empty(x.dtype, [1, 1], x.device);
                Fill(w, weights[s]);
                var yr = GroupedSwiGluFfnParts.Rows(y, tokens[s], 1);
                CopyInto(yr, Binary(BinaryOp.Add, yr, Binary(BinaryOp.Mul, o, w))); // y_t + (w * ffn)
            }
        return y;
    }
}
