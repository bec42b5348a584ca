// Views: reshape, transpose, permute, slicing, squeeze/unsqueeze, expand. A view shares storage; its
// backward rule maps the gradient back onto the original layout.
namespace PluginMoE.Tensors;

public partial class Tensor
{
    private Tensor View(int[] sizes, int[] strides, int offset) => new(Storage, sizes, strides, offset, dtype) { IsView = true };

    private int[] InferShape(long[] shape, string op)
    {
        var sizes = new int[shape.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got [{string.Join(", ", shape)}]");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"{op}: invalid size {shape[i]} in [{string.Join(", ", shape)}]");
            else
            {
                sizes[i] = (int)shape[i];
                known *= shape[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || NumelCached % known != 0)
                throw new ArgumentException($"{op}: shape [{string.Join(", ", shape)}] is invalid for input of size {NumelCached}");
            sizes[infer] = (int)(NumelCached / known);
        }
        else if (known != NumelCached)
        {
            throw new ArgumentException($"{op}: shape [{string.Join(", ", shape)}] is invalid for input of size {NumelCached} (shape {Shape.Format(Sizes)})");
        }
        return sizes;
    }

    /// <summary>Same data with a new shape; the tensor must be contiguous (one dimension may be -1).</summary>
    public Tensor view(params long[] shape)
    {
        var sizes = InferShape(shape, "view");
        if (!is_contiguous())
            throw new InvalidOperationException(
                $"view: the tensor of shape {Shape.Format(Sizes)} is not contiguous, so it cannot be viewed as {Shape.Format(sizes)}; use reshape() or contiguous().view()");
        var inSizes = Sizes;
        var r = View(sizes, Shape.ContiguousStrides(sizes), Offset);
        return Record(r, "ViewBackward", [this], g => [g.reshape(Shape.ToLong(inSizes))], saved: []);
    }

    /// <summary>Same data with a new shape, copying only when the layout requires it.</summary>
    public Tensor reshape(params long[] shape) => is_contiguous() ? view(shape) : contiguous().view(shape);

    /// <summary>Flattens dims <paramref name="start_dim"/>..<paramref name="end_dim"/> into one.</summary>
    public Tensor flatten(int start_dim = 0, int end_dim = -1)
    {
        if (Sizes.Length == 0) return reshape(1);
        int s = Shape.WrapDim(start_dim, Sizes.Length, "flatten"), e = Shape.WrapDim(end_dim, Sizes.Length, "flatten");
        var shape = new List<long>();
        for (int i = 0; i < s; i++) shape.Add(Sizes[i]);
        long m = 1;
        for (int i = s; i <= e; i++) m *= Sizes[i];
        shape.Add(m);
        for (int i = e + 1; i < Sizes.Length; i++) shape.Add(Sizes[i]);
        return reshape([.. shape]);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor transpose(long dim0, long dim1)
    {
        int a = Shape.WrapDim(dim0, Sizes.Length, "transpose"), b = Shape.WrapDim(dim1, Sizes.Length, "transpose");
        var sizes = (int[])Sizes.Clone();
        var strides = (int[])Strides.Clone();
        (sizes[a], sizes[b]) = (sizes[b], sizes[a]);
        (strides[a], strides[b]) = (strides[b], strides[a]);
        return Record(View(sizes, strides, Offset), "TransposeBackward", [this], g => [g.transpose(a, b)], saved: []);
    }

    /// <summary>Transpose of a 2-D tensor.</summary>
    public Tensor t()
    {
        if (Sizes.Length != 2) throw new InvalidOperationException($"t() expects a 2-D tensor, got shape {Shape.Format(Sizes)}");
        return transpose(0, 1);
    }

    /// <summary>Transpose of the last two dimensions.</summary>
    public Tensor mT => transpose(-2, -1);

    /// <summary>Reorders dimensions (a view).</summary>
    public Tensor permute(params long[] dims)
    {
        if (dims.Length != Sizes.Length) throw new ArgumentException($"permute: got {dims.Length} dims for a tensor of rank {Sizes.Length}");
        var p = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            p[i] = Shape.WrapDim(dims[i], Sizes.Length, "permute");
            if (seen[p[i]]) throw new ArgumentException($"permute: dimension {p[i]} repeated in [{string.Join(", ", dims)}]");
            seen[p[i]] = true;
        }
        var sizes = new int[p.Length];
        var strides = new int[p.Length];
        var inv = new long[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            sizes[i] = Sizes[p[i]];
            strides[i] = Strides[p[i]];
            inv[p[i]] = i;
        }
        return Record(View(sizes, strides, Offset), "PermuteBackward", [this], g => [g.permute(inv)], saved: []);
    }

    /// <summary>Elements <paramref name="start"/>..<paramref name="start"/>+<paramref name="length"/> of a dimension (a view).</summary>
    public Tensor narrow(long dim, long start, long length) => slice(dim, start, start + length, 1);

    /// <summary>Python-style slice <c>[start:end:step]</c> along a dimension (a view; negative start/end count from the end).</summary>
    public Tensor slice(long dim, long start, long end, long step = 1)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, "slice");
        int n = Sizes[d];
        if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step}");
        if (start < 0) start += n;
        if (end < 0) end += n;
        start = Math.Clamp(start, 0, n);
        end = Math.Clamp(end, start, n);
        var sizes = (int[])Sizes.Clone();
        var strides = (int[])Strides.Clone();
        sizes[d] = (int)((end - start + step - 1) / step);
        strides[d] = (int)(Strides[d] * step);
        int offset = Offset + (int)start * Strides[d];
        var inSizes = Sizes;
        int s0 = (int)start, st = (int)step;
        return Record(View(sizes, strides, offset), "SliceBackward", [this], g =>
        {
            var full = Zeros(g.dtype, (int[])inSizes.Clone(), g.device);
            full.slice(d, s0, s0 + (long)g.Sizes[d] * st, st).copy_(g);
            return [full];
        }, saved: []);
    }

    /// <summary>The sub-tensor at <paramref name="index"/> of a dimension, with that dimension removed (a view).</summary>
    public Tensor select(long dim, long index)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, "select");
        int n = Sizes[d];
        if (index < -n || index >= n) throw new IndexOutOfRangeException($"select: index {index} is out of range for dimension {d} of size {n}");
        if (index < 0) index += n;
        var sizes = Sizes.Where((_, i) => i != d).ToArray();
        var strides = Strides.Where((_, i) => i != d).ToArray();
        var inSizes = Sizes;
        int idx = (int)index;
        return Record(View(sizes, strides, Offset + idx * Strides[d]), "SelectBackward", [this], g =>
        {
            var full = Zeros(g.dtype, (int[])inSizes.Clone(), g.device);
            full.select(d, idx).copy_(g);
            return [full];
        }, saved: []);
    }

    /// <summary><c>x[i]</c>: selects along the first dimension.</summary>
    public Tensor this[long index] => select(0, index);

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor unsqueeze(long dim)
    {
        int d = (int)(dim < 0 ? dim + Sizes.Length + 1 : dim);
        if (d < 0 || d > Sizes.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"unsqueeze: dim {dim} out of range for rank {Sizes.Length}");
        var sizes = new List<int>(Sizes);
        var strides = new List<int>(Strides);
        sizes.Insert(d, 1);
        strides.Insert(d, d < Strides.Length ? Strides[d] * Sizes[d] : 1);
        var inSizes = Shape.ToLong(Sizes);
        return Record(View([.. sizes], [.. strides], Offset), "UnsqueezeBackward", [this], g => [g.reshape(inSizes)], saved: []);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1 (all size-1 dims when null).</summary>
    public Tensor squeeze(long? dim = null)
    {
        var keep = new List<int>();
        int wrapped = dim is null ? -1 : Shape.WrapDim(dim.Value, Sizes.Length, "squeeze");
        for (int i = 0; i < Sizes.Length; i++)
            if (!(Sizes[i] == 1 && (dim is null || i == wrapped))) keep.Add(i);
        var sizes = keep.Select(i => Sizes[i]).ToArray();
        var strides = keep.Select(i => Strides[i]).ToArray();
        var inSizes = Shape.ToLong(Sizes);
        return Record(View(sizes, strides, Offset), "SqueezeBackward", [this], g => [g.reshape(inSizes)], saved: []);
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> without copying (-1 keeps a size).</summary>
    public Tensor expand(params long[] shape)
    {
        if (shape.Length < Sizes.Length) throw new ArgumentException($"expand: target [{string.Join(", ", shape)}] has fewer dims than the tensor {Shape.Format(Sizes)}");
        int shift = shape.Length - Sizes.Length;
        var sizes = new int[shape.Length];
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int j = i - shift;
            int cur = j >= 0 ? Sizes[j] : 1;
            int want = shape[i] == -1 ? cur : (int)shape[i];
            if (j < 0 && shape[i] == -1) throw new ArgumentException("expand: -1 is not allowed for a new leading dimension");
            if (cur != want && cur != 1)
                throw new ArgumentException($"expand: cannot expand size {cur} to {want} at dim {i} (tensor {Shape.Format(Sizes)}, target [{string.Join(", ", shape)}])");
            sizes[i] = want;
            strides[i] = j >= 0 && cur == want ? Strides[j] : 0;
        }
        var inSizes = Sizes;
        return Record(View(sizes, strides, Offset), "ExpandBackward", [this], g => [g.sum_to_size(inSizes)], saved: []);
    }

    /// <summary>Expands to the shape of <paramref name="other"/>.</summary>
    public Tensor expand_as(Tensor other) => expand(other.shape);

    /// <summary>This tensor if contiguous, else a contiguous copy (gradient passes through).</summary>
    public Tensor contiguous()
    {
        if (is_contiguous()) return this;
        return Record(backend.Contiguous(this), "ContiguousBackward", [this], g => [g], saved: []);
    }

    /// <summary>A contiguous copy with its own storage (gradient passes through).</summary>
    public Tensor clone() => Record(backend.Contiguous(this), "CloneBackward", [this], g => [g], saved: []);

    /// <summary>Converts to another element type (gradient converts back for float types).</summary>
    public Tensor to(ScalarType type)
    {
        if (type == dtype) return this;
        var inType = dtype;
        var r = backend.Convert(this, type);
        if (!type.IsFloatingPoint()) return r;
        return Record(r, "ToCopyBackward", [this], g => [g.to(inType)], saved: []);
    }

    /// <summary>
    /// A contiguous copy on <paramref name="device"/> (this tensor itself when it is already there); the gradient moves back.
    /// </summary>
    /// <exception cref="NotSupportedException">The device's backend is not loaded, or cannot serve that device here.</exception>
    public Tensor to(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var from = this.device;
        if (device == from) return this;
        // The non-CPU side's backend does the copy (it can read and write CPU memory; the CPU backend cannot read its).
        var copier = device.type != DeviceType.CPU ? device.Backend : backend;
        var copy = copier.CopyToDevice(this, device);
        return Record(copy, "ToCopyBackward", [this], g => [g.to(from)], saved: []);
    }

    /// <summary>Converts to float32.</summary>
    public Tensor @float() => to(ScalarType.Float32);

    /// <summary>Converts to float64.</summary>
    public Tensor @double() => to(ScalarType.Float64);

    /// <summary>Converts to int64.</summary>
    public Tensor @long() => to(ScalarType.Int64);

    /// <summary>Converts to int32.</summary>
    public Tensor @int() => to(ScalarType.Int32);

    /// <summary>Splits into chunks of <paramref name="split_size"/> along a dimension (views; the last may be smaller).</summary>
    public Tensor[] split(long split_size, long dim = 0)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, "split");
        var parts = new List<Tensor>();
        for (long s = 0; s < Sizes[d]; s += split_size) parts.Add(narrow(d, s, Math.Min(split_size, Sizes[d] - s)));
        return [.. parts];
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views along a dimension.</summary>
    public Tensor[] chunk(int chunks, long dim = 0)
    {
        int d = Shape.WrapDim(dim, Sizes.Length, "chunk");
        long size = (Sizes[d] + chunks - 1) / chunks;
        return split(Math.Max(size, 1), d);
    }
}
