// LibTorch kernels: scaled-dot-product attention with grouped-query heads and a bottom-right causal mask,
// forward returning the row logsumexp and backward recomputing the probabilities from it (the same contract
// as the CPU backend's FlashAttention-2 kernels; here the T x S scores are materialised by LibTorch).
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <summary>Expands (B, Hkv, S, D) to (B, Hq, S, D): query head h reads key/value head h / group.</summary>
    private static TT.Tensor ExpandHeads(TT.Tensor kv, long hq)
    {
        long hkv = kv.shape[1];
        return hq == hkv ? kv : kv.repeat_interleave(hq / hkv, 1);
    }

    /// <summary>Sums (B, Hq, S, D) gradients back to (B, Hkv, S, D) over each group's query heads.</summary>
    private static TT.Tensor ReduceHeads(TT.Tensor g, long hkv)
    {
        long b = g.shape[0], hq = g.shape[1], s = g.shape[2], d = g.shape[3];
        return hq == hkv ? g : g.reshape(b, hkv, hq / hkv, s, d).sum([2L]);
    }

    /// <summary>Scaled scores with the bottom-right causal mask applied as -inf.</summary>
    private static TT.Tensor Scores(TT.Tensor q, TT.Tensor k, bool isCausal, double scale)
    {
        var scores = TT.matmul(q, k.transpose(-2, -1)) * scale;
        if (!isCausal) return scores;
        long t = q.shape[2], s = k.shape[2];
        var mask = TT.ones([t, s], TT.ScalarType.Bool).triu(s - t + 1); // key j > i + (S - T) is hidden
        return scores.masked_fill(mask, double.NegativeInfinity);
    }

    /// <inheritdoc/>
    public (Tensor output, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, bool isCausal, double scale, int blockSize)
    {
        using var _ = TT.NewDisposeScope();
        var tq = T(q);
        long hq = q.size(1);
        var scores = Scores(tq, ExpandHeads(T(k), hq), isCausal, scale);
        var lse = scores.logsumexp(-1);
        var p = (scores - lse.unsqueeze(-1)).exp();
        return (Out(TT.matmul(p, ExpandHeads(T(v), hq))), Out(lse));
    }

    /// <inheritdoc/>
    public (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, bool isCausal, double scale, int blockSize)
    {
        using var _ = TT.NewDisposeScope();
        var tq = T(q); var g = T(dout);
        long hq = q.size(1), hkv = k.size(1);
        var ke = ExpandHeads(T(k), hq); var ve = ExpandHeads(T(v), hq);
        var p = (Scores(tq, ke, isCausal, scale) - T(lse).unsqueeze(-1)).exp();
        var dv = TT.matmul(p.transpose(-2, -1), g);
        var dp = TT.matmul(g, ve.transpose(-2, -1));
        var rowDot = (g * T(output)).sum([-1L], keepdim: true);
        var ds = p * (dp - rowDot);
        var dq = TT.matmul(ds, ke) * scale;
        var dk = TT.matmul(ds.transpose(-2, -1), tq) * scale;
        return (Out(dq), Out(ReduceHeads(dk, hkv)), Out(ReduceHeads(dv, hkv)));
    }
}
