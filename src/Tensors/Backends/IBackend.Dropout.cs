// Kernel family: inverted dropout (Srivastava et al. 2014) with a counter-based (Philox) mask.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// Inverted dropout: element <c>i</c> is kept, and scaled by <c>1 / (1 - p)</c>, when the 32-bit Philox word
    /// <c>i</c> of the stream at (<paramref name="seed"/>, <paramref name="counter"/>) is at least <c>p * 2^32</c>;
    /// otherwise it becomes zero. The mask depends only on (seed, counter, i), so backward regenerates it
    /// instead of storing it: applying this kernel to dL/dy with the same arguments gives dL/dx.
    /// </summary>
    /// <param name="x">Contiguous float32/float64 tensor.</param>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="seed">Philox key (the generator's seed).</param>
    /// <param name="counter">First Philox block (the generator's offset reserved for this call).</param>
    /// <returns>A new tensor of the shape of <paramref name="x"/>.</returns>
    Tensor DropoutApply(Tensor x, double p, ulong seed, ulong counter);
}
