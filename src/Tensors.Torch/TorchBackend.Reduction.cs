// LibTorch kernels: max/min (with indices), amax/amin, logsumexp, softmax and its gradient, stable sort, top-k.
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <inheritdoc/>
    public (Tensor values, Tensor indices) MaxMinDim(Tensor x, int dim, bool keepdim, bool max)
    {
        using var _ = TT.NewDisposeScope();
        var (v, i) = max ? T(x).max(dim, keepdim) : T(x).min(dim, keepdim);
        return (Out(v), Out(i));
    }

    /// <inheritdoc/>
    public Tensor MaxMinDimBackward(Tensor grad, Tensor indices, int[] inputSizes, int dim, bool keepdim)
    {
        using var _ = TT.NewDisposeScope();
        var g = T(grad); var idx = T(indices);
        if (!keepdim) { g = g.unsqueeze(dim); idx = idx.unsqueeze(dim); }
        var z = TT.zeros(inputSizes.Select(s => (long)s).ToArray(), g.dtype);
        return Out(z.scatter_(dim, idx, g));
    }

    /// <inheritdoc/>
    public Tensor AMaxMin(Tensor x, int[] dims, bool keepdim, bool max)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        if (x.dim() == 0) return Out(t.clone());
        var d = Dims(dims, x.dim());
        return Out(max ? t.amax(d, keepdim) : t.amin(d, keepdim));
    }

    /// <inheritdoc/>
    public Tensor LogSumExp(Tensor x, int[] dims, bool keepdim)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        if (x.dim() == 0) return Out(t.clone());
        var d = Dims(dims, x.dim());
        // Shifted by the (finite) maximum so it never overflows; an all -inf slice gives -inf.
        var m = t.amax(d, keepdim: true);
        m = TT.where(m.isfinite(), m, TT.zeros_like(m));
        var r = (t - m).exp().sum(d, keepdim: true).log() + m;
        if (!keepdim) r = SqueezeDims(r, d);
        return Out(r);
    }

    /// <inheritdoc/>
    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        return Out(log ? t.log_softmax(dim) : t.softmax(dim));
    }

    /// <inheritdoc/>
    public Tensor SoftmaxBackward(Tensor grad, Tensor output, int dim, bool log)
    {
        using var _ = TT.NewDisposeScope();
        var g = T(grad); var y = T(output);
        return Out(log
            ? g - y.exp() * g.sum(dim, keepdim: true)
            : y * (g - (g * y).sum(dim, keepdim: true)));
    }

    /// <inheritdoc/>
    public (Tensor values, Tensor indices) Sort(Tensor x, int dim, bool descending)
    {
        using var _ = TT.NewDisposeScope();
        var (v, i) = T(x).sort(dim, descending, stable: true);
        return (Out(v), Out(i));
    }

    /// <inheritdoc/>
    public (Tensor values, Tensor indices) TopK(Tensor x, int k, int dim, bool largest)
    {
        using var _ = TT.NewDisposeScope();
        // A stable sort then the first k: best first, ties to the lower index (LibTorch's topk does not promise that).
        var (v, i) = T(x).sort(dim, descending: largest, stable: true);
        return (Out(v.narrow(dim, 0, k)), Out(i.narrow(dim, 0, k)));
    }
}
