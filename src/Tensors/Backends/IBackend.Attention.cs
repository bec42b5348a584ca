// Kernel family: fused scaled-dot-product attention (FlashAttention-2, Dao 2023, Algorithms 1 and 2):
// online-softmax forward saving only the row logsumexp, backward recomputing scores block by block.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Attention forward, <c>O = softmax(scale * Q K^T + mask) V</c>, without materialising the T x S score matrix:
    /// key blocks are visited in order with a running row max and sum (online softmax).
    /// Query head <c>h</c> reads key/value head <c>h / (Hq / Hkv)</c> (grouped-query attention).
    /// With <paramref name="isCausal"/>, query <c>i</c> sees keys <c>j &lt;= i + (S - T)</c> (bottom-right aligned; needs S &gt;= T).
    /// </summary>
    /// <param name="q">Queries (B, Hq, T, D), float32/float64, last-dim stride 1 (other strides free).</param>
    /// <param name="k">Keys (B, Hkv, S, D), same dtype, last-dim stride 1; Hq is a multiple of Hkv.</param>
    /// <param name="v">Values (B, Hkv, S, Dv), same dtype, last-dim stride 1.</param>
    /// <param name="isCausal">Apply the bottom-right causal mask.</param>
    /// <param name="scale">Multiplier of the scores (usually 1/sqrt(D)).</param>
    /// <param name="blockSize">Rows per query block and keys per key block (memory per worker is blockSize^2 scores).</param>
    /// <returns>The output (B, Hq, T, Dv), contiguous, and the row logsumexp <c>lse</c> (B, Hq, T) of the scaled, masked scores.</returns>
    (Tensor output, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, bool isCausal, double scale, int blockSize);

    /// <summary>
    /// Attention backward from the saved output and logsumexp: probabilities are recomputed per key block as
    /// <c>P = exp(scale * q.k - lse)</c>; <c>dV = P^T dO</c>, <c>dS = P * (dO V^T - rowsum(dO * O))</c>,
    /// <c>dQ = scale * dS K</c>, <c>dK = scale * dS^T Q</c>. dK/dV are owned per (batch, kv head, key block) and summed
    /// over the group's query heads in head order; dQ is owned per (batch, head, query block). No atomics, so the
    /// result is bitwise reproducible.
    /// </summary>
    /// <param name="dout">dL/dO (B, Hq, T, Dv), last-dim stride 1.</param>
    /// <param name="q">Forward queries.</param>
    /// <param name="k">Forward keys.</param>
    /// <param name="v">Forward values.</param>
    /// <param name="output">Saved forward output (B, Hq, T, Dv), contiguous.</param>
    /// <param name="lse">Saved logsumexp (B, Hq, T), contiguous.</param>
    /// <param name="isCausal">As in forward.</param>
    /// <param name="scale">As in forward.</param>
    /// <param name="blockSize">As in forward.</param>
    /// <returns>dQ (B, Hq, T, D), dK (B, Hkv, S, D), dV (B, Hkv, S, Dv), all contiguous.</returns>
    (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor dout, Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, bool isCausal, double scale, int blockSize);
}
