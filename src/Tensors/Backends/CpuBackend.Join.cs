// CPU concatenation: each input contributes one contiguous block per outer index of the result.
namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Cat(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("cat: expected a non-empty list of tensors");
        var first = tensors[0];
        var sizes = (int[])first.Sizes.Clone();
        int total = 0;
        foreach (var t in tensors) total += t.Sizes[dim];
        sizes[dim] = total;
        var r = Tensor.Empty(first.dtype, sizes);
        switch (first.dtype)
        {
            case ScalarType.Float32: CatKernel<float>(tensors, dim, r); break;
            case ScalarType.Float64: CatKernel<double>(tensors, dim, r); break;
            case ScalarType.Int64: CatKernel<long>(tensors, dim, r); break;
            case ScalarType.Int32: CatKernel<int>(tensors, dim, r); break;
            case ScalarType.Bool: CatKernel<bool>(tensors, dim, r); break;
            case ScalarType.Float16: CatKernel<Half>(tensors, dim, r); break;
            case ScalarType.BFloat16: CatKernel<BFloat16>(tensors, dim, r); break;
            default: throw new NotSupportedException($"cat: {first.dtype.TorchName()} is not supported");
        }
        return r;
    }

    private void CatKernel<T>(Tensor[] tensors, int dim, Tensor r) where T : unmanaged
    {
        var (outer, total, inner) = Split(r.Sizes, dim);
        if (r.NumelCached == 0) return;
        var parts = new Tensor[tensors.Length];
        var starts = new int[tensors.Length];
        int at = 0;
        for (int p = 0; p < tensors.Length; p++)
        {
            parts[p] = tensors[p].is_contiguous() ? tensors[p] : Contiguous(tensors[p]);
            starts[p] = at;
            at += tensors[p].Sizes[dim];
        }
        var R = r.StorageAs<T>();
        int rowLen = total * inner;
        ParallelFor.Run(outer, Math.Max(1, ElementwiseGrain / Math.Max(rowLen, 1)), (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
                for (int p = 0; p < parts.Length; p++)
                {
                    var t = parts[p];
                    int len = t.Sizes[dim] * inner;
                    t.StorageAs<T>().AsSpan(t.Offset + o * len, len).CopyTo(R.AsSpan(o * rowLen + starts[p] * inner, len));
                }
        });
    }
}
