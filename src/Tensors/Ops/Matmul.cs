// Matrix products with autograd: torch.matmul (1-D, 2-D and batched with broadcast batch dims), mm, bmm and
// nn.functional.linear. Gradients are GEMMs on transposed views (dA = dC B^T, dB = A^T dC), never transposed copies.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>
    /// Matrix product with PyTorch's <c>matmul</c> semantics: 1-D @ 1-D is a dot product (0-dim result);
    /// 2-D @ 2-D a matrix product; a 1-D left operand is treated as a row (the added dim is removed again), a 1-D
    /// right operand as a column; with 3 or more dims the leading (batch) dims broadcast, e.g.
    /// (B, H, T, D) @ (B, H, D, S) -> (B, H, T, S) and (B, T, D) @ (D, E) -> (B, T, E).
    /// </summary>
    /// <exception cref="ArgumentException">An operand is 0-dim, the inner sizes differ, the batch dims do not broadcast, or the dtypes differ.</exception>
    /// <exception cref="NotSupportedException">The operands are not float32 or float64.</exception>
    public static Tensor matmul(Tensor a, Tensor b) => Tensor.Matmul(a, b, "matmul");

    /// <summary>Product of two 2-D tensors, (M, K) @ (K, N) -> (M, N).</summary>
    /// <exception cref="ArgumentException">An operand is not 2-D or the inner sizes differ.</exception>
    public static Tensor mm(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.dim() != 2 || b.dim() != 2)
            throw new ArgumentException($"mm: expected 2-D tensors, got shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)}; use matmul for other ranks");
        return Tensor.Matmul(a, b, "mm");
    }

    /// <summary>Batched product of two 3-D tensors with the same batch size, (B, M, K) @ (B, K, N) -> (B, M, N).</summary>
    /// <exception cref="ArgumentException">An operand is not 3-D, the batch sizes differ or the inner sizes differ.</exception>
    public static Tensor bmm(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.dim() != 3 || b.dim() != 3)
            throw new ArgumentException($"bmm: expected 3-D tensors, got shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)}; use matmul for broadcasting");
        if (a.Sizes[0] != b.Sizes[0])
            throw new ArgumentException($"bmm: batch sizes differ for shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)} ({a.Sizes[0]} != {b.Sizes[0]}); use matmul to broadcast");
        return Tensor.Matmul(a, b, "bmm");
    }

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Affine map <c>input @ weight^T + bias</c> (PyTorch's <c>F.linear</c>). <paramref name="input"/> is
            /// (..., in_features), <paramref name="weight"/> (out_features, in_features) and is used through its
            /// strides (no transposed copy), <paramref name="bias"/> (out_features) or null. The result is
            /// (..., out_features). Backward: dX = dY W, dW = dY^T X summed over the leading dims, db = sum of dY.
            /// </summary>
            /// <exception cref="ArgumentException">The shapes or dtypes do not fit.</exception>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) => Tensor.Linear(input, weight, bias);
        }
    }
}

public partial class Tensor
{
    /// <summary>Matrix product (see <see cref="torch.matmul"/>).</summary>
    public Tensor matmul(Tensor other) => torch.matmul(this, other);

    /// <summary>Product of two 2-D tensors (see <see cref="torch.mm"/>).</summary>
    public Tensor mm(Tensor other) => torch.mm(this, other);

    /// <summary>Batched product of two 3-D tensors (see <see cref="torch.bmm"/>).</summary>
    public Tensor bmm(Tensor other) => torch.bmm(this, other);

    private static void CheckFloatOperands(string op, Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype)
            throw new ArgumentException($"{op}: expected both operands to have the same dtype, got {a.dtype.TorchName()} and {b.dtype.TorchName()}; convert one with to()");
        if (a.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: {a.dtype.TorchName()} tensors are not supported; use float32 or float64");
    }

    /// <summary>matmul's rank handling around <see cref="MatmulNd"/> (1-D operands get a unit dim that is removed again).</summary>
    internal static Tensor Matmul(Tensor a, Tensor b, string op)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.dim() == 0 || b.dim() == 0)
            throw new ArgumentException($"{op}: both arguments need at least 1 dimension, got shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)}");
        CheckFloatOperands(op, a, b);
        int ka = a.Sizes[^1], kb = b.dim() == 1 ? b.Sizes[0] : b.Sizes[^2];
        if (ka != kb)
            throw new ArgumentException($"{op}: shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)} cannot be multiplied ({ka} != {kb})");
        if (a.dim() == 1 && b.dim() == 1)
            return MatmulNd(a.unsqueeze(0), b.unsqueeze(1), op).reshape();
        var r = MatmulNd(a.dim() == 1 ? a.unsqueeze(0) : a, b.dim() == 1 ? b.unsqueeze(1) : b, op);
        if (b.dim() == 1) return r.squeeze(-1);
        if (a.dim() == 1) return r.squeeze(-2);
        return r;
    }

    /// <summary>(..., M, K) @ (..., K, N) with broadcast batch dims, recorded as one node.</summary>
    private static Tensor MatmulNd(Tensor a, Tensor b, string op)
    {
        if (a.Sizes[^1] != b.Sizes[^2])
            throw new ArgumentException($"{op}: shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)} cannot be multiplied ({a.Sizes[^1]} != {b.Sizes[^2]})");
        var r = MatmulRaw(a, b, op);
        var aSizes = a.Sizes;
        var bSizes = b.Sizes;
        return Record(r, "MatmulBackward", [a, b], g => [
            a.requires_grad ? MatmulRaw(g, TransposedView(b), op).sum_to_size(aSizes) : null,
            b.requires_grad ? MatmulGradB(a, g, bSizes, op) : null]);
    }

    /// <summary>dB = A^T dC, summed over the batch dims that B was broadcast along.</summary>
    private static Tensor MatmulGradB(Tensor a, Tensor g, int[] bSizes, string op)
    {
        if (bSizes.Length == 2 && a.dim() > 2)
        {
            // Shared 2-D right operand (e.g. (B, T, D) @ (D, E)): one GEMM over all B*T rows.
            var af = RowsView(a) ?? RowsView(a.backend.Contiguous(a))!;
            var gf = RowsView(g) ?? RowsView(g.backend.Contiguous(g))!;
            return a.backend.Matmul(TransposedView(af), gf);
        }
        return MatmulRaw(TransposedView(a), g, op).sum_to_size(bSizes);
    }

    /// <summary>The product without autograd: folds batch dims into rows when B is 2-D, else broadcasts the batch dims.</summary>
    private static Tensor MatmulRaw(Tensor a, Tensor b, string op)
    {
        int m = a.Sizes[^2], n = b.Sizes[^1];
        if (b.dim() == 2 && a.dim() > 2 && RowsView(a) is { } af)
        {
            var c = a.backend.Matmul(af, b);
            var sizes = (int[])a.Sizes.Clone();
            sizes[^1] = n;
            return new Tensor(c.Storage, sizes, Shape.ContiguousStrides(sizes), 0, c.dtype);
        }
        var ba = a.Sizes[..^2];
        var bb = b.Sizes[..^2];
        int[] batch;
        try
        {
            batch = Shape.Broadcast(ba, bb, op);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"{op}: the batch dims {Shape.Format(ba)} and {Shape.Format(bb)} of shapes {Shape.Format(a.Sizes)} and {Shape.Format(b.Sizes)} cannot be broadcast together");
        }
        return a.backend.Matmul(BroadcastView(a, [.. batch, m, a.Sizes[^1]]), BroadcastView(b, [.. batch, b.Sizes[^2], n]));
    }

    /// <summary>A view (no autograd) with the last two dims swapped.</summary>
    private static Tensor TransposedView(Tensor t)
    {
        var sizes = (int[])t.Sizes.Clone();
        var strides = (int[])t.Strides.Clone();
        (sizes[^1], sizes[^2]) = (sizes[^2], sizes[^1]);
        (strides[^1], strides[^2]) = (strides[^2], strides[^1]);
        return new Tensor(t.Storage, sizes, strides, t.Offset, t.dtype);
    }

    /// <summary>A view (no autograd) of <paramref name="t"/> broadcast to <paramref name="sizes"/> (stride 0 along new or size-1 dims).</summary>
    private static Tensor BroadcastView(Tensor t, int[] sizes) =>
        Shape.Equal(t.Sizes, sizes) ? t : new Tensor(t.Storage, sizes, StridedIndex.BroadcastStrides(t, sizes), t.Offset, t.dtype);

    /// <summary>
    /// (..., K) viewed as (rows, K) without copying (no autograd), or null when the leading dims are not laid out
    /// as one evenly strided run.
    /// </summary>
    private static Tensor? RowsView(Tensor t)
    {
        int r = t.Sizes.Length;
        int rows = 1, stride = 0, expected = 0;
        bool any = false;
        for (int d = r - 2; d >= 0; d--)
        {
            rows *= t.Sizes[d];
            if (t.Sizes[d] == 1) continue;
            if (!any)
            {
                stride = t.Strides[d];
                expected = stride * t.Sizes[d];
                any = true;
            }
            else if (t.Strides[d] != expected) return null;
            else expected *= t.Sizes[d];
        }
        if (!any) stride = Math.Max(1, t.Sizes[^1]);
        return new Tensor(t.Storage, [rows, t.Sizes[^1]], [stride, t.Strides[^1]], t.Offset, t.dtype);
    }

    /// <summary>F.linear: one GEMM with the bias pre-loaded into the output (beta = 1).</summary>
    internal static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 2)
            throw new ArgumentException($"linear: weight must be 2-D (out_features, in_features), got shape {Shape.Format(weight.Sizes)}");
        if (input.dim() == 0)
            throw new ArgumentException($"linear: input must have at least 1 dimension (..., in_features), got a 0-dim tensor");
        CheckFloatOperands("linear", input, weight);
        int inF = weight.Sizes[1], outF = weight.Sizes[0];
        if (input.Sizes[^1] != inF)
            throw new ArgumentException(
                $"linear: input of shape {Shape.Format(input.Sizes)} has {input.Sizes[^1]} features but weight of shape {Shape.Format(weight.Sizes)} expects {inF} (in_features)");
        if (bias is not null)
        {
            if (bias.dim() != 1 || bias.Sizes[0] != outF)
                throw new ArgumentException($"linear: bias must have shape [{outF}] (out_features of weight {Shape.Format(weight.Sizes)}), got {Shape.Format(bias.Sizes)}");
            if (bias.dtype != input.dtype)
                throw new ArgumentException($"linear: bias is {bias.dtype.TorchName()} but input is {input.dtype.TorchName()}");
        }

        var be = input.backend;
        var x = RowsView(input) ?? RowsView(be.Contiguous(input))!; // (L, in)
        int rows = x.Sizes[0];
        var y = Empty(input.dtype, [rows, outF], input.device);                   // (L, out)
        if (bias is not null) be.CopyInto(y, bias);
        be.Gemm(x, TransposedView(weight), y, 1, bias is null ? 0 : 1);
        var outSizes = (int[])input.Sizes.Clone();
        outSizes[^1] = outF;
        var result = new Tensor(y.Storage, outSizes, Shape.ContiguousStrides(outSizes), 0, y.dtype);

        var inSizes = input.Sizes;
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Record(result, "LinearBackward", inputs, g =>
        {
            var gf = RowsView(g) ?? RowsView(be.Contiguous(g))!;  // (L, out)
            Tensor? dx = null, dw = null, db = null;
            if (input.requires_grad)
            {
                var d = be.Matmul(gf, weight);                      // (L, in)
                dx = new Tensor(d.Storage, (int[])inSizes.Clone(), Shape.ContiguousStrides(inSizes), 0, d.dtype);
            }
            if (weight.requires_grad) dw = be.Matmul(TransposedView(gf), x); // (out, in)
            if (bias is { requires_grad: true }) db = gf.sum(0);
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }
}
