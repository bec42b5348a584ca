// CPU kernels for prefix sums, counting, repeat index expansion, one-hot and nonzero.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Cumsum(Tensor x, int dim, bool reverse)
    {
        if (!x.dtype.IsFloatingPoint() || x.dtype is ScalarType.Float16 or ScalarType.BFloat16)
            x = Convert(x, x.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : ScalarType.Int64);
        else if (!x.is_contiguous()) x = Contiguous(x);
        var r = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        switch (x.dtype)
        {
            case ScalarType.Float32: CumsumKernel<float>(x, dim, reverse, r); break;
            case ScalarType.Float64: CumsumKernel<double>(x, dim, reverse, r); break;
            default: CumsumKernel<long>(x, dim, reverse, r); break;
        }
        return r;
    }

    private static void CumsumKernel<T>(Tensor x, int dim, bool reverse, Tensor r) where T : unmanaged, INumber<T>
    {
        if (x.NumelCached == 0) return;
        var (outer, n, inner) = x.Sizes.Length == 0 ? (1, 1, 1) : Split(x.Sizes, dim);
        var X = x.StorageAs<T>();
        var R = r.StorageAs<T>();
        int xb = x.Offset;
        ParallelFor.Run(outer, Math.Max(1, ElementwiseGrain / Math.Max(n * inner, 1)), (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
            {
                int b = o * n * inner;
                if (inner == 1)
                {
                    T acc = T.Zero;
                    if (!reverse)
                        for (int j = 0; j < n; j++) R[b + j] = acc += X[xb + b + j];
                    else
                        for (int j = n - 1; j >= 0; j--) R[b + j] = acc += X[xb + b + j];
                    continue;
                }
                int j0 = reverse ? n - 1 : 0, step = reverse ? -1 : 1;
                X.AsSpan(xb + b + j0 * inner, inner).CopyTo(R.AsSpan(b + j0 * inner, inner));
                for (int t = 1, j = j0 + step; t < n; t++, j += step)
                {
                    var prev = R.AsSpan(b + (j - step) * inner, inner);
                    TensorPrimitives.Add<T>(prev, X.AsSpan(xb + b + j * inner, inner), R.AsSpan(b + j * inner, inner));
                }
            }
        });
    }

    /// <inheritdoc/>
    public Tensor Bincount(Tensor input, Tensor? weights, int minlength)
    {
        if (!input.is_contiguous()) input = Contiguous(input);
        var ids = input.AsSpan<long>();
        long max = ids.Length == 0 ? -1 : TensorPrimitives.Max<long>(ids);
        if (ids.Length > 0 && TensorPrimitives.Min<long>(ids) < 0)
            throw new ArgumentException($"bincount: input must be non-negative, found {TensorPrimitives.Min<long>(ids)}");
        int len = (int)Math.Max(max + 1, minlength);
        if (weights is null)
        {
            var r = Tensor.Zeros(ScalarType.Int64, [len]);
            var R = r.AsSpan<long>();
            foreach (var v in ids) R[(int)v]++;
            return r;
        }
        if (!weights.is_contiguous()) weights = Contiguous(weights);
        var w = Tensor.Zeros(weights.dtype, [len]);
        switch (weights.dtype)
        {
            case ScalarType.Float32: BincountWeighted<float>(ids, weights, w); break;
            case ScalarType.Float64: BincountWeighted<double>(ids, weights, w); break;
            default: throw new NotSupportedException($"bincount: weights of type {weights.dtype.TorchName()} are not supported");
        }
        return w;
    }

    private static void BincountWeighted<T>(ReadOnlySpan<long> ids, Tensor weights, Tensor r) where T : unmanaged, INumber<T>
    {
        var W = weights.AsSpan<T>();
        var R = r.AsSpan<T>();
        for (int i = 0; i < ids.Length; i++) R[(int)ids[i]] += W[i];
    }

    /// <inheritdoc/>
    public Tensor RepeatIndex(Tensor repeats)
    {
        if (!repeats.is_contiguous()) repeats = Contiguous(repeats);
        var rep = repeats.AsSpan<long>();
        long total = 0;
        for (int i = 0; i < rep.Length; i++)
        {
            if (rep[i] < 0) throw new ArgumentException($"repeat_interleave: repeats must be non-negative, found {rep[i]} at position {i}");
            total += rep[i];
        }
        if (total > int.MaxValue) throw new ArgumentException($"repeat_interleave: the result would have {total} elements; at most {int.MaxValue} are supported");
        var r = Tensor.Empty(ScalarType.Int64, [(int)total]);
        var R = r.AsSpan<long>();
        int at = 0;
        for (int i = 0; i < rep.Length; i++)
        {
            R.Slice(at, (int)rep[i]).Fill(i);
            at += (int)rep[i];
        }
        return r;
    }

    /// <inheritdoc/>
    public Tensor OneHot(Tensor index, int numClasses)
    {
        IndexBounds.Check(index, numClasses, "one_hot", -1);
        if (!index.is_contiguous()) index = Contiguous(index);
        var sizes = new int[index.Sizes.Length + 1];
        index.Sizes.CopyTo(sizes, 0);
        sizes[^1] = numClasses;
        var r = Tensor.Zeros(ScalarType.Int64, sizes);
        var R = r.AsSpan<long>();
        var I = index.AsSpan<long>();
        for (int i = 0; i < I.Length; i++) R[i * numClasses + (int)I[i]] = 1;
        return r;
    }

    /// <inheritdoc/>
    public Tensor Nonzero(Tensor x)
    {
        var mask = Convert(x, ScalarType.Bool).AsSpan<bool>();
        int rank = x.Sizes.Length, count = 0;
        foreach (var b in mask) if (b) count++;
        var r = Tensor.Empty(ScalarType.Int64, [count, rank]);
        var R = r.AsSpan<long>();
        var coord = new int[rank];
        int at = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                for (int d = 0; d < rank; d++) R[at++] = coord[d];
            }
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coord[d] < x.Sizes[d]) break;
                coord[d] = 0;
            }
        }
        return r;
    }
}
