// Kernel family: fused, max-shifted softmax and log-softmax over one dim, and their fused gradients.
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>
    /// softmax (or log-softmax when <paramref name="log"/>) of <paramref name="x"/> along <paramref name="dim"/>, computed as
    /// exp(x - max) / sum in one pass per row, so large logits never overflow. Float types; returns a contiguous tensor.
    /// </summary>
    Tensor Softmax(Tensor x, int dim, bool log);

    /// <summary>
    /// Gradient of <see cref="Softmax"/> from its <paramref name="output"/>: y (g - sum(g y)) for softmax, and
    /// g - exp(y) sum(g) for log-softmax, summed along <paramref name="dim"/>.
    /// </summary>
    Tensor SoftmaxBackward(Tensor grad, Tensor output, int dim, bool log);
}
