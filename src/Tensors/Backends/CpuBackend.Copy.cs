// CPU kernels for layout and type changes.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Contiguous(Tensor src)
    {
        var dst = Tensor.Empty(src.dtype, (int[])src.Sizes.Clone());
        CopyInto(dst, src);
        return dst;
    }

    /// <inheritdoc/>
    public void CopyInto(Tensor dst, Tensor src)
    {
        if (src.dtype != dst.dtype) src = Convert(src, dst.dtype);
        if (src.Sizes.Length > dst.Sizes.Length || !Shape.Equal(Shape.Broadcast(dst.Sizes, src.Sizes, "copy_"), dst.Sizes))
            throw new ArgumentException($"copy_: source of shape {Shape.Format(src.Sizes)} cannot be broadcast to destination shape {Shape.Format(dst.Sizes)}");
        switch (dst.dtype)
        {
            case ScalarType.Float32: Copy<float>(dst, src); break;
            case ScalarType.Float64: Copy<double>(dst, src); break;
            case ScalarType.Int64: Copy<long>(dst, src); break;
            case ScalarType.Int32: Copy<int>(dst, src); break;
            case ScalarType.Bool: Copy<bool>(dst, src); break;
            case ScalarType.Float16: Copy<Half>(dst, src); break;
            case ScalarType.BFloat16: Copy<BFloat16>(dst, src); break;
            default: throw new NotSupportedException(dst.dtype.ToString());
        }
    }

    private static void Copy<T>(Tensor dst, Tensor src) where T : unmanaged
    {
        var s = src.StorageAs<T>();
        var d = dst.StorageAs<T>();
        if (dst.NumelCached == 0) return;
        if (dst.is_contiguous() && src.is_contiguous() && src.NumelCached == dst.NumelCached)
        {
            s.AsSpan(src.Offset, src.NumelCached).CopyTo(d.AsSpan(dst.Offset, dst.NumelCached));
            return;
        }
        var sizes = dst.Sizes;
        var sst = StridedIndex.BroadcastStrides(src, sizes);
        int rank = sizes.Length;
        int inner = rank == 0 ? 1 : sizes[rank - 1];
        int ds = rank == 0 ? 1 : dst.Strides[rank - 1];
        int ss = rank == 0 ? 0 : sst[rank - 1];
        StridedIndex.ForEachRow(sizes, dst.Strides, dst.Offset, sst, src.Offset, (_, od, os) =>
        {
            if (ds == 1 && ss == 1) s.AsSpan(os, inner).CopyTo(d.AsSpan(od, inner));
            else if (ds == 1 && ss == 0) d.AsSpan(od, inner).Fill(s[os]);
            else
                for (int i = 0; i < inner; i++) d[od + i * ds] = s[os + i * ss];
        });
    }

    /// <inheritdoc/>
    public Tensor Convert(Tensor src, ScalarType dtype)
    {
        if (!src.is_contiguous()) src = Contiguous(src);
        var dst = Tensor.Empty(dtype, (int[])src.Sizes.Clone());
        if (src.dtype == dtype)
        {
            CopyInto(dst, src);
            return dst;
        }
        switch (src.dtype)
        {
            case ScalarType.Float32: ConvertFrom<float>(src, dst); break;
            case ScalarType.Float64: ConvertFrom<double>(src, dst); break;
            case ScalarType.Int64: ConvertFrom<long>(src, dst); break;
            case ScalarType.Int32: ConvertFrom<int>(src, dst); break;
            case ScalarType.Float16: ConvertFrom<Half>(src, dst); break;
            case ScalarType.BFloat16:
            {
                var s = src.AsSpan<BFloat16>();
                var f = new float[s.Length];
                for (int i = 0; i < s.Length; i++) f[i] = s[i].ToSingle();
                ConvertFrom<float>(Tensor.Wrap(f, src.Sizes), dst);
                break;
            }
            case ScalarType.Bool:
            {
                var s = src.AsSpan<bool>();
                var l = new long[s.Length];
                for (int i = 0; i < s.Length; i++) l[i] = s[i] ? 1 : 0;
                ConvertFrom<long>(Tensor.Wrap(l, src.Sizes), dst);
                break;
            }
            default: throw new NotSupportedException(src.dtype.ToString());
        }
        return dst;
    }

    private static void ConvertFrom<TF>(Tensor src, Tensor dst) where TF : unmanaged, INumberBase<TF>
    {
        var s = src.AsSpan<TF>();
        switch (dst.dtype)
        {
            case ScalarType.Float32:
                if (typeof(TF) == typeof(Half)) TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<TF, Half>(s), dst.AsSpan<float>());
                else TensorPrimitives.ConvertTruncating<TF, float>(s, dst.AsSpan<float>());
                break;
            case ScalarType.Float64: TensorPrimitives.ConvertTruncating<TF, double>(s, dst.AsSpan<double>()); break;
            case ScalarType.Int64: TensorPrimitives.ConvertTruncating<TF, long>(s, dst.AsSpan<long>()); break;
            case ScalarType.Int32: TensorPrimitives.ConvertTruncating<TF, int>(s, dst.AsSpan<int>()); break;
            case ScalarType.Float16:
            {
                var tmp = new float[s.Length];
                TensorPrimitives.ConvertTruncating<TF, float>(s, tmp);
                TensorPrimitives.ConvertToHalf(tmp, dst.AsSpan<Half>());
                break;
            }
            case ScalarType.BFloat16:
            {
                var d = dst.AsSpan<BFloat16>();
                for (int i = 0; i < s.Length; i++) d[i] = BFloat16.FromSingle(float.CreateTruncating(s[i]));
                break;
            }
            case ScalarType.Bool:
            {
                var d = dst.AsSpan<bool>();
                for (int i = 0; i < s.Length; i++) d[i] = !TF.IsZero(s[i]);
                break;
            }
            default: throw new NotSupportedException(dst.dtype.ToString());
        }
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, double value)
    {
        var one = Tensor.Empty(ScalarType.Float64, []);
        one.AsSpan<double>()[0] = value;
        CopyInto(dst, Convert(one, dst.dtype));
    }
}
