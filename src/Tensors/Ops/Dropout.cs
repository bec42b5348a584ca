// Inverted dropout (Srivastava et al. 2014): zero each element with probability p, scale survivors by 1/(1-p).
// The mask comes from the Philox generator and is regenerated in backward rather than stored.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Inverted dropout (PyTorch's <c>F.dropout</c>): when <paramref name="training"/>, each element is zeroed
            /// with probability <paramref name="p"/> and the others are multiplied by <c>1 / (1 - p)</c>, so the
            /// expectation is unchanged. The mask is drawn from <paramref name="generator"/> (default
            /// <see cref="default_generator"/>), advancing it by <c>ceil(numel / 4)</c> Philox blocks: the result depends
            /// only on the generator state, never on the thread count. Backward multiplies by the same mask and scale.
            /// </summary>
            /// <param name="input">Float32/float64 tensor.</param>
            /// <param name="p">Drop probability in [0, 1]; 1 gives zeros.</param>
            /// <param name="training">When false, or when <paramref name="p"/> is 0, the input is returned unchanged (no random draw).</param>
            /// <param name="generator">Random source; <see cref="default_generator"/> when null.</param>
            /// <returns>A new tensor of the input's shape (or the input itself when dropout is inactive).</returns>
            /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
            {
                ArgumentNullException.ThrowIfNull(input);
                if (!(p >= 0 && p <= 1))
                    throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout: probability has to be between 0 and 1, but got {p}");
                if (!training || p == 0) return input;
                if (!input.dtype.IsFloatingPoint() || input.dtype is ScalarType.Float16 or ScalarType.BFloat16)
                    throw new ArgumentException($"dropout: expected a float32 or float64 input, got {input.dtype.TorchName()}");
                if (p == 1)
                {
                    var zeros = Tensor.Zeros(input.dtype, (int[])input.Sizes.Clone(), input.device);
                    var inSizes = input.Sizes;
                    return Tensor.Record(zeros, "DropoutBackward", [input], g => [Tensor.Zeros(g.dtype, (int[])inSizes.Clone(), g.device)]);
                }
                var gen = generator ?? default_generator;
                ulong seed = (ulong)gen.initial_seed();
                ulong counter = gen.Reserve(input.numel());
                var x = input.contiguous();
                var y = x.backend.DropoutApply(x, p, seed, counter);
                return Tensor.Record(y, "DropoutBackward", [x], g => [x.backend.DropoutApply(g.contiguous(), p, seed, counter)]);
            }
        }
    }
}
