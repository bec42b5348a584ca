// Reductions beyond sum/mean: max/min along a dim (values + indices), amax/amin, argmax/argmin, logsumexp, var/std.
// Backward rules follow PyTorch: max(dim) routes the gradient to the chosen index; amax/max() split it among ties.
namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>This tensor in a type the reduction kernels handle (float32/float64/int32/int64).</summary>
    private Tensor Reducible() => dtype switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 => to(ScalarType.Float32),
        ScalarType.Bool => to(ScalarType.Int64),
        _ => this,
    };

    /// <summary>Largest element along <paramref name="dim"/> and its int64 index (first on ties; NaN propagates).</summary>
    /// <exception cref="ArgumentException">The dimension is empty.</exception>
    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false) => MaxMinAlong(dim, keepdim, true);

    /// <summary>Smallest element along <paramref name="dim"/> and its int64 index (first on ties; NaN propagates).</summary>
    /// <exception cref="ArgumentException">The dimension is empty.</exception>
    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false) => MaxMinAlong(dim, keepdim, false);

    private (Tensor values, Tensor indices) MaxMinAlong(long dim, bool keepdim, bool isMax)
    {
        string op = isMax ? "max" : "min";
        int d = Shape.WrapDim(dim, Sizes.Length, op);
        if (Sizes.Length == 0) return (clone(), Zeros(ScalarType.Int64, [], device));
        var x = Reducible();
        var (v, i) = backend.MaxMinDim(x, d, keepdim, isMax);
        if (!v.dtype.IsFloatingPoint()) return (v, i);
        var inSizes = x.Sizes;
        Record(v, isMax ? "MaxBackward0" : "MinBackward0", [x], g => [x.backend.MaxMinDimBackward(g, i, inSizes, d, keepdim)]);
        return (v, i);
    }

    /// <summary>Largest element (0-dim); NaN propagates. The gradient is split evenly among tied maxima.</summary>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public Tensor max() => ExtremeOver([], false, true, "max");

    /// <summary>Smallest element (0-dim); NaN propagates. The gradient is split evenly among tied minima.</summary>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public Tensor min() => ExtremeOver([], false, false, "min");

    /// <summary>Largest element over <paramref name="dims"/> (all when empty); the gradient is split evenly among ties.</summary>
    public Tensor amax(long[] dims, bool keepdim = false) => ExtremeOver(dims, keepdim, true, "amax");

    /// <summary>Largest element along <paramref name="dim"/>; the gradient is split evenly among ties.</summary>
    public Tensor amax(long dim, bool keepdim = false) => amax([dim], keepdim);

    /// <summary>Smallest element over <paramref name="dims"/> (all when empty); the gradient is split evenly among ties.</summary>
    public Tensor amin(long[] dims, bool keepdim = false) => ExtremeOver(dims, keepdim, false, "amin");

    /// <summary>Smallest element along <paramref name="dim"/>; the gradient is split evenly among ties.</summary>
    public Tensor amin(long dim, bool keepdim = false) => amin([dim], keepdim);

    private Tensor ExtremeOver(long[] dims, bool keepdim, bool isMax, string op)
    {
        if (NumelCached == 0)
            throw new ArgumentException($"{op}: the input of shape {Shape.Format(Sizes)} is empty, so it has no {(isMax ? "maximum" : "minimum")}");
        var x = Reducible();
        var d = NormalizeDims(dims, op);
        var r = backend.AMaxMin(x, d, keepdim, isMax);
        if (!r.dtype.IsFloatingPoint()) return r;
        var inSizes = x.Sizes;
        return Record(r, isMax ? "AmaxBackward0" : "AminBackward0", [x], g =>
        {
            var kept = Shape.ToLong(KeptSizes(inSizes, d));
            var rk = r.detach().reshape(kept);
            var gk = g.reshape(kept);
            var mask = x.detach().eq(rk);
            var count = mask.sum(Shape.ToLong(d), keepdim: true).to(g.dtype);
            return [torch.where(mask, gk.div(count), Zeros(g.dtype, [], g.device))];
        });
    }

    /// <summary>Index (int64) of the largest element along <paramref name="dim"/>, or in the flattened tensor when null.</summary>
    public Tensor argmax(long? dim = null, bool keepdim = false) => ArgExtreme(dim, keepdim, true);

    /// <summary>Index (int64) of the smallest element along <paramref name="dim"/>, or in the flattened tensor when null.</summary>
    public Tensor argmin(long? dim = null, bool keepdim = false) => ArgExtreme(dim, keepdim, false);

    private Tensor ArgExtreme(long? dim, bool keepdim, bool isMax)
    {
        var x = detach();
        if (dim is long d) return x.MaxMinAlong(d, keepdim, isMax).indices;
        var idx = x.reshape(-1).MaxMinAlong(0, false, isMax).indices;
        return keepdim ? idx.reshape(Enumerable.Repeat(1L, Sizes.Length).ToArray()) : idx;
    }

    /// <summary>log(sum(exp(x))) over <paramref name="dims"/> (all when empty), computed stably (max-shifted).</summary>
    public Tensor logsumexp(long[] dims, bool keepdim = false)
    {
        var x = AsFloating();
        var d = NormalizeDims(dims, "logsumexp");
        var r = backend.LogSumExp(x, d, keepdim);
        var inSizes = x.Sizes;
        return Record(r, "LogsumexpBackward0", [x], g =>
        {
            var kept = Shape.ToLong(KeptSizes(inSizes, d));
            return [g.reshape(kept).mul(x.detach().sub(r.detach().reshape(kept)).exp())];
        });
    }

    /// <summary>log(sum(exp(x))) along <paramref name="dim"/>, computed stably.</summary>
    public Tensor logsumexp(long dim, bool keepdim = false) => logsumexp([dim], keepdim);

    /// <summary>
    /// Variance over <paramref name="dims"/> (all when empty): sum((x - mean)^2) / (N - 1) when
    /// <paramref name="unbiased"/>, else / N (NaN for N - 1 = 0 as in PyTorch).
    /// </summary>
    public Tensor var(long[] dims, bool unbiased = true, bool keepdim = false)
    {
        var x = AsFloating();
        var d = NormalizeDims(dims, "var");
        long n = 1;
        foreach (var i in d) n *= Sizes[i];
        var dev = x.sub(x.mean(dims, keepdim: true));
        return dev.square().sum(dims, keepdim).div(Math.Max(n - (unbiased ? 1 : 0), 0));
    }

    /// <summary>Variance along <paramref name="dim"/> (see <see cref="var(long[], bool, bool)"/>).</summary>
    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => var([dim], unbiased, keepdim);

    /// <summary>Variance of all elements (see <see cref="var(long[], bool, bool)"/>).</summary>
    public Tensor var(bool unbiased = true) => var([], unbiased);

    /// <summary>Standard deviation over <paramref name="dims"/> (all when empty): sqrt of <see cref="var(long[], bool, bool)"/>.</summary>
    public Tensor std(long[] dims, bool unbiased = true, bool keepdim = false) => var(dims, unbiased, keepdim).sqrt();

    /// <summary>Standard deviation along <paramref name="dim"/>.</summary>
    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => var([dim], unbiased, keepdim).sqrt();

    /// <summary>Standard deviation of all elements.</summary>
    public Tensor std(bool unbiased = true) => var([], unbiased).sqrt();
}

public static partial class torch
{
    /// <summary>Largest element (0-dim).</summary>
    public static Tensor max(Tensor input) => input.max();
    /// <summary>Largest element along a dim and its index.</summary>
    public static (Tensor values, Tensor indices) max(Tensor input, long dim, bool keepdim = false) => input.max(dim, keepdim);
    /// <summary>Smallest element (0-dim).</summary>
    public static Tensor min(Tensor input) => input.min();
    /// <summary>Smallest element along a dim and its index.</summary>
    public static (Tensor values, Tensor indices) min(Tensor input, long dim, bool keepdim = false) => input.min(dim, keepdim);
    /// <summary>Largest element over dims (all when empty).</summary>
    public static Tensor amax(Tensor input, long[] dims, bool keepdim = false) => input.amax(dims, keepdim);
    /// <summary>Smallest element over dims (all when empty).</summary>
    public static Tensor amin(Tensor input, long[] dims, bool keepdim = false) => input.amin(dims, keepdim);
    /// <summary>Index of the largest element (flattened when <paramref name="dim"/> is null).</summary>
    public static Tensor argmax(Tensor input, long? dim = null, bool keepdim = false) => input.argmax(dim, keepdim);
    /// <summary>Index of the smallest element (flattened when <paramref name="dim"/> is null).</summary>
    public static Tensor argmin(Tensor input, long? dim = null, bool keepdim = false) => input.argmin(dim, keepdim);
    /// <summary>Stable log(sum(exp(x))) over dims.</summary>
    public static Tensor logsumexp(Tensor input, long[] dims, bool keepdim = false) => input.logsumexp(dims, keepdim);
    /// <summary>Stable log(sum(exp(x))) along a dim.</summary>
    public static Tensor logsumexp(Tensor input, long dim, bool keepdim = false) => input.logsumexp(dim, keepdim);
    /// <summary>Variance over dims (all when empty).</summary>
    public static Tensor var(Tensor input, long[] dims, bool unbiased = true, bool keepdim = false) => input.var(dims, unbiased, keepdim);
    /// <summary>Standard deviation over dims (all when empty).</summary>
    public static Tensor std(Tensor input, long[] dims, bool unbiased = true, bool keepdim = false) => input.std(dims, unbiased, keepdim);
}
