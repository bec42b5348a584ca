// softmax and log_softmax along any dim: one fused, max-shifted kernel each way (forward and backward).
namespace PluginMoE.Tensors;

public partial class Tensor
{
    private Tensor SoftmaxRecorded(long dim, bool log)
    {
        string op = log ? "log_softmax" : "softmax";
        int d = Shape.WrapDim(dim, Sizes.Length, op);
        if (Sizes.Length == 0) return reshape(1).SoftmaxRecorded(0, log).reshape([]);
        var x = AsFloating();
        var r = x.backend.Softmax(x, d, log);
        return Record(r, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", [x], g => [x.backend.SoftmaxBackward(g, r, d, log)]);
    }

    /// <summary>exp(x) / sum(exp(x)) along <paramref name="dim"/>, computed stably (max-shifted, fused).</summary>
    public Tensor softmax(long dim) => SoftmaxRecorded(dim, false);

    /// <summary>x - log(sum(exp(x))) along <paramref name="dim"/>, computed stably (max-shifted, fused).</summary>
    public Tensor log_softmax(long dim) => SoftmaxRecorded(dim, true);
}

public static partial class torch
{
    /// <summary>Softmax along <paramref name="dim"/> (see <see cref="Tensor.softmax"/>).</summary>
    public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (see <see cref="Tensor.log_softmax"/>).</summary>
    public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>Softmax along <paramref name="dim"/>, stable and fused.</summary>
            public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);

            /// <summary>Log-softmax along <paramref name="dim"/>, stable and fused.</summary>
            public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);
        }
    }
}
