// OWNER: fused-kernels helper. Placeholder signatures; the real implementation replaces this file.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>RMS normalisation over the trailing <paramref name="normalized_shape"/> dims, times <paramref name="weight"/>.</summary>
            public static Tensor rms_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, double eps = 1e-6) => throw new NotImplementedException("rms_norm");

            /// <summary>Layer normalisation over the trailing <paramref name="normalized_shape"/> dims, then affine.</summary>
            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) => throw new NotImplementedException("layer_norm");

            /// <summary>Zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when training.</summary>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) => throw new NotImplementedException("dropout");
        }
    }
}
