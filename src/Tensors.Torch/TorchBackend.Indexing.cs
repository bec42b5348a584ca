// LibTorch kernels: gather/scatter, index_select/index_add, cat, MoE dispatch bookkeeping (cumsum, bincount,
// repeat_interleave, one_hot, nonzero), tril/triu and flip.
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <summary>Throws <see cref="IndexOutOfRangeException"/> when an index is outside [0, size).</summary>
    private static void CheckIndex(TT.Tensor index, long size, string op)
    {
        if (index.numel() == 0) return;
        long lo = index.min().item<long>(), hi = index.max().item<long>();
        if (lo < 0 || hi >= size)
            throw new IndexOutOfRangeException($"{op}: index {(lo < 0 ? lo : hi)} is out of bounds for a dimension of size {size}");
    }

    /// <inheritdoc/>
    public Tensor Gather(Tensor self, int dim, Tensor index)
    {
        using var _ = TT.NewDisposeScope();
        var idx = T(index);
        CheckIndex(idx, self.size(dim), "gather");
        return Out(T(self).gather(dim, idx));
    }

    /// <inheritdoc/>
    public void ScatterInto(Tensor self, int dim, Tensor index, Tensor src, bool accumulate)
    {
        using var _ = TT.NewDisposeScope();
        var idx = T(index);
        CheckIndex(idx, self.size(dim), "scatter");
        var s = T(src);
        // LibTorch wants src at least as large as index along every dim: take the index-shaped window of src.
        for (int d = 0; d < index.dim(); d++) if (s.shape[d] != idx.shape[d]) s = s.narrow(d, 0, idx.shape[d]);
        var dst = T(self);
        // Work on a contiguous copy when self is a strided view, then write back (scatter_ needs no internal overlap).
        var work = self.is_contiguous() ? dst : dst.contiguous();
        if (accumulate) work.scatter_add_(dim, idx, s); else work.scatter_(dim, idx, s);
        if (!ReferenceEquals(work, dst)) dst.copy_(work);
    }

    /// <inheritdoc/>
    public Tensor IndexSelect(Tensor self, int dim, Tensor index)
    {
        using var _ = TT.NewDisposeScope();
        var idx = T(index);
        CheckIndex(idx, self.size(dim), "index_select");
        return Out(T(self).index_select(dim, idx));
    }

    /// <inheritdoc/>
    public void IndexAddInto(Tensor self, int dim, Tensor index, Tensor source, double alpha)
    {
        using var _ = TT.NewDisposeScope();
        var idx = T(index);
        CheckIndex(idx, self.size(dim), "index_add");
        T(self).index_add_(dim, idx, T(source), S(alpha));
    }

    /// <inheritdoc/>
    public Tensor Cat(Tensor[] tensors, int dim)
    {
        using var _ = TT.NewDisposeScope();
        return Out(TT.cat(tensors.Select(T).ToArray(), dim));
    }

    /// <inheritdoc/>
    public Tensor Cumsum(Tensor x, int dim, bool reverse)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        var type = x.dtype.IsFloatingPoint() ? ToTorch(x.dtype) : TT.ScalarType.Int64;
        if (x.dim() == 0) return Out(t.to(type).clone());
        if (!reverse) return Out(t.cumsum(dim, type));
        return Out(t.flip(dim).cumsum(dim, type).flip(dim));
    }

    /// <inheritdoc/>
    public Tensor Bincount(Tensor input, Tensor? weights, int minlength)
    {
        using var _ = TT.NewDisposeScope();
        var w = TOpt(weights);
        var r = T(input).bincount(w, minlength);
        return Out(weights is null ? r : r.to(ToTorch(weights.dtype)));
    }

    /// <inheritdoc/>
    public Tensor RepeatIndex(Tensor repeats)
    {
        using var _ = TT.NewDisposeScope();
        var rep = T(repeats);
        var ids = TT.arange(0, repeats.numel(), 1, TT.ScalarType.Int64);
        return Out(ids.repeat_interleave(rep, 0));
    }

    /// <inheritdoc/>
    public Tensor OneHot(Tensor index, int numClasses)
    {
        using var _ = TT.NewDisposeScope();
        var idx = T(index);
        CheckIndex(idx, numClasses, "one_hot");
        return Out(TT.nn.functional.one_hot(idx, numClasses));
    }

    /// <inheritdoc/>
    public Tensor Nonzero(Tensor x)
    {
        using var _ = TT.NewDisposeScope();
        return Out(T(x).nonzero());
    }

    /// <inheritdoc/>
    public Tensor Triangle(Tensor x, long diagonal, bool upper)
    {
        using var _ = TT.NewDisposeScope();
        return Out(upper ? T(x).triu(diagonal) : T(x).tril(diagonal));
    }

    /// <inheritdoc/>
    public Tensor Flip(Tensor x, int[] dims)
    {
        using var _ = TT.NewDisposeScope();
        return Out(dims.Length == 0 ? T(x).clone() : T(x).flip(dims.Select(d => (long)d).ToArray()));
    }
}
