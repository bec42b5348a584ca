// CPU RMSNorm/LayerNorm forward/backward kernels: one pass per row with TensorPrimitives, rows split
// over threads; weight/bias gradients are summed per fixed row chunk, then chunk by chunk in order.
using System.Numerics;
using System.Numerics.Tensors;

namespace PluginMoE.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>About this many elements per thread before a row loop is split.</summary>
    private const int NormGrain = 1 << 14;

    private static int NormMinRows(int cols) => Math.Max(1, NormGrain / Math.Max(cols, 1));

    /// <summary>Runs <paramref name="body"/>(chunk, rowStart, rowEnd) over fixed row chunks; returns the chunk count.</summary>
    private static int RunRowChunks(int rows, int cols, Action<int, int, int> body)
    {
        int chunks = Math.Max(1, ParallelFor.ChunkCount(rows, NormMinRows(cols)));
        ParallelFor.Run(chunks, 1, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
                body(c, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks));
        });
        return chunks;
    }

    /// <summary>Sums per-chunk partial rows (chunks x cols) in chunk order into a new (cols) tensor.</summary>
    private static Tensor SumPartials<T>(T[] partials, int chunks, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Tensor.Zeros(ScalarTypeExtensions.Of<T>(), [cols]);
        var dst = r.AsSpan<T>();
        for (int c = 0; c < chunks; c++) TensorPrimitives.Add(dst, partials.AsSpan(c * cols, cols), dst);
        return r;
    }

    private static void CheckFloat(Tensor x, string op)
    {
        if (x.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: {x.dtype.TorchName()} tensors are not supported; use float32 or float64");
    }

    // ------------------------------------------------------------------ RMSNorm

    /// <inheritdoc/>
    public (Tensor y, Tensor rstd) RmsNormForward(Tensor x, Tensor? weight, int cols, double eps)
    {
        CheckFloat(x, "rms_norm");
        return x.dtype == ScalarType.Float32 ? RmsNormForward<float>(x, weight, cols, eps) : RmsNormForward<double>(x, weight, cols, eps);
    }

    // x: (N, C), weight: (C) -> y: (N, C), rstd: (N)
    private static (Tensor, Tensor) RmsNormForward<T>(Tensor x, Tensor? weight, int cols, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var rstd = Tensor.Empty(x.dtype, [cols == 0 ? 0 : x.NumelCached / cols]);
        RmsNormRows<T>(x, null, null, weight, y, rstd, cols, eps);
        return (y, rstd);
    }

    /// <summary>
    /// The row loop of both RMSNorm forwards: per row, src = x (rms_norm) or sum = x + residual written to
    /// <paramref name="sum"/> (add_rms_norm, so the sum is still in cache for the norm), then rstd = 1 / sqrt(mean(src^2)
    /// + eps) and y = src * rstd (* weight).
    /// </summary>
    private static void RmsNormRows<T>(Tensor x, Tensor? residual, Tensor? sum, Tensor? weight, Tensor y, Tensor rstd, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = cols == 0 ? 0 : x.NumelCached / cols;
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var Res = residual?.StorageAs<T>(); int ro = residual?.Offset ?? 0;
        var S = sum?.StorageAs<T>();
        var Y = y.StorageAs<T>();
        var R = rstd.StorageAs<T>();
        var W = weight?.StorageAs<T>(); int wo = weight?.Offset ?? 0;
        T e = T.CreateChecked(eps), n = T.CreateChecked(cols);
        RunRowChunks(rows, cols, (_, r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                ReadOnlySpan<T> src = new(X, xo + r * cols, cols);
                if (S != null)
                {
                    var sr = new Span<T>(S, r * cols, cols);
                    TensorPrimitives.Add(src, new ReadOnlySpan<T>(Res, ro + r * cols, cols), sr);
                    src = sr;
                }
                var yr = new Span<T>(Y, r * cols, cols);
                T rs = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(src) / n + e);
                R[r] = rs;
                TensorPrimitives.Multiply(src, rs, yr);
                if (W != null) TensorPrimitives.Multiply(yr, new ReadOnlySpan<T>(W, wo, cols), yr);
            }
        });
    }

    /// <inheritdoc/>
    public (Tensor sum, Tensor y, Tensor rstd) AddRmsNormForward(Tensor x, Tensor residual, Tensor? weight, int cols, double eps)
    {
        CheckFloat(x, "add_rms_norm");
        return x.dtype == ScalarType.Float32 ? AddRmsNormForward<float>(x, residual, weight, cols, eps) : AddRmsNormForward<double>(x, residual, weight, cols, eps);
    }

    // x, residual: (N, C), weight: (C) -> sum = x + residual, y: (N, C), rstd: (N) (rows: RmsNormRows).
    private static (Tensor, Tensor, Tensor) AddRmsNormForward<T>(Tensor x, Tensor residual, Tensor? weight, int cols, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var rstd = Tensor.Empty(x.dtype, [cols == 0 ? 0 : x.NumelCached / cols]);
        RmsNormRows<T>(x, residual, sum, weight, y, rstd, cols, eps);
        return (sum, y, rstd);
    }

    /// <inheritdoc/>
    public (Tensor dx, Tensor? dweight) RmsNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad)
    {
        CheckFloat(x, "rms_norm backward");
        return x.dtype == ScalarType.Float32
            ? RmsNormBackward<float>(dy, null, x, weight, rstd, cols, needWeightGrad)
            : RmsNormBackward<double>(dy, null, x, weight, rstd, cols, needWeightGrad);
    }

    /// <inheritdoc/>
    public (Tensor dx, Tensor? dweight) AddRmsNormBackward(Tensor? dsum, Tensor? dy, Tensor sum, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad)
    {
        CheckFloat(sum, "add_rms_norm backward");
        if (dy is null)
            return (dsum ?? throw new ArgumentException("add_rms_norm backward: neither result has a gradient (dsum and dy are both null)"), null);
        return sum.dtype == ScalarType.Float32
            ? RmsNormBackward<float>(dy, dsum, sum, weight, rstd, cols, needWeightGrad)
            : RmsNormBackward<double>(dy, dsum, sum, weight, rstd, cols, needWeightGrad);
    }

    // With g = dy * w and xhat = x * rstd:  dx = rstd * g - rstd^3 / C * (g . x) * x (+ dadd),  dw = sum_rows dy * xhat.
    // dadd (add_rms_norm's dL/dsum, or null) is added in the same pass over the row, so the fused op's backward is one kernel.
    private static (Tensor, Tensor?) RmsNormBackward<T>(Tensor dy, Tensor? dadd, Tensor x, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = cols == 0 ? 0 : x.NumelCached / cols;
        var dx = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var DY = dy.StorageAs<T>(); int dyo = dy.Offset;
        var DX = dx.StorageAs<T>();
        var DA = dadd?.StorageAs<T>(); int dao = dadd?.Offset ?? 0;
        var R = rstd.StorageAs<T>(); int ro = rstd.Offset;
        var W = weight?.StorageAs<T>(); int wo = weight?.Offset ?? 0;
        bool dw = needWeightGrad && weight != null;
        int maxChunks = Math.Max(1, ParallelFor.ChunkCount(rows, NormMinRows(cols)));
        var partial = dw ? new T[maxChunks * cols] : null; // (chunks, C) per-chunk weight-gradient sums
        T n = T.CreateChecked(cols);
        int chunks = RunRowChunks(rows, cols, (c, r0, r1) =>
        {
            var g = W != null ? new T[cols] : null;
            var xhat = dw ? new T[cols] : null;
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<T>(X, xo + r * cols, cols);
                var dyr = new ReadOnlySpan<T>(DY, dyo + r * cols, cols);
                var dxr = new Span<T>(DX, r * cols, cols);
                T rs = R[ro + r];
                ReadOnlySpan<T> gr = dyr;
                if (g != null)
                {
                    TensorPrimitives.Multiply(dyr, new ReadOnlySpan<T>(W, wo, cols), g);
                    gr = g;
                }
                T k = rs * rs * rs * TensorPrimitives.Dot(gr, xr) / n;
                if (DA != null) TensorPrimitives.MultiplyAdd(gr, rs, new ReadOnlySpan<T>(DA, dao + r * cols, cols), dxr);
                else TensorPrimitives.Multiply(gr, rs, dxr);
                TensorPrimitives.MultiplyAdd(xr, -k, dxr, dxr);
                if (xhat != null)
                {
                    var acc = partial.AsSpan(c * cols, cols);
                    TensorPrimitives.Multiply(xr, rs, xhat);
                    TensorPrimitives.MultiplyAdd(dyr, xhat, acc, acc);
                }
            }
        });
        return (dx, dw ? SumPartials(partial!, chunks, cols) : null);
    }

    // ------------------------------------------------------------------ LayerNorm

    /// <inheritdoc/>
    public (Tensor y, Tensor mean, Tensor rstd) LayerNormForward(Tensor x, Tensor? weight, Tensor? bias, int cols, double eps)
    {
        CheckFloat(x, "layer_norm");
        return x.dtype == ScalarType.Float32
            ? LayerNormForward<float>(x, weight, bias, cols, eps)
            : LayerNormForward<double>(x, weight, bias, cols, eps);
    }

    // x: (N, C), weight/bias: (C) -> y: (N, C), mean/rstd: (N). Two-pass variance (biased, as PyTorch).
    private static (Tensor, Tensor, Tensor) LayerNormForward<T>(Tensor x, Tensor? weight, Tensor? bias, int cols, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = cols == 0 ? 0 : x.NumelCached / cols;
        var y = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var mean = Tensor.Empty(x.dtype, [rows]);
        var rstd = Tensor.Empty(x.dtype, [rows]);
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var Y = y.StorageAs<T>();
        var M = mean.StorageAs<T>();
        var R = rstd.StorageAs<T>();
        var W = weight?.StorageAs<T>(); int wo = weight?.Offset ?? 0;
        var B = bias?.StorageAs<T>(); int bo = bias?.Offset ?? 0;
        T e = T.CreateChecked(eps), n = T.CreateChecked(cols);
        RunRowChunks(rows, cols, (_, r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<T>(X, xo + r * cols, cols);
                var yr = new Span<T>(Y, r * cols, cols);
                T mu = TensorPrimitives.Sum(xr) / n;
                TensorPrimitives.Subtract(xr, mu, yr);
                T rs = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(yr) / n + e);
                M[r] = mu;
                R[r] = rs;
                TensorPrimitives.Multiply(yr, rs, yr);
                if (W != null) TensorPrimitives.Multiply(yr, new ReadOnlySpan<T>(W, wo, cols), yr);
                if (B != null) TensorPrimitives.Add(yr, new ReadOnlySpan<T>(B, bo, cols), yr);
            }
        });
        return (y, mean, rstd);
    }

    /// <inheritdoc/>
    public (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, int cols, bool needWeightGrad, bool needBiasGrad)
    {
        CheckFloat(x, "layer_norm backward");
        return x.dtype == ScalarType.Float32
            ? LayerNormBackward<float>(dy, x, weight, mean, rstd, cols, needWeightGrad, needBiasGrad)
            : LayerNormBackward<double>(dy, x, weight, mean, rstd, cols, needWeightGrad, needBiasGrad);
    }

    // With g = dy * w and xhat = (x - mean) * rstd:  dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
    // dw = sum_rows dy * xhat,  db = sum_rows dy.
    private static (Tensor, Tensor?, Tensor?) LayerNormBackward<T>(Tensor dy, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, int cols, bool needWeightGrad, bool needBiasGrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = cols == 0 ? 0 : x.NumelCached / cols;
        var dx = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone());
        var X = x.StorageAs<T>(); int xo = x.Offset;
        var DY = dy.StorageAs<T>(); int dyo = dy.Offset;
        var DX = dx.StorageAs<T>();
        var M = mean.StorageAs<T>(); int mo = mean.Offset;
        var R = rstd.StorageAs<T>(); int ro = rstd.Offset;
        var W = weight?.StorageAs<T>(); int wo = weight?.Offset ?? 0;
        int maxChunks = Math.Max(1, ParallelFor.ChunkCount(rows, NormMinRows(cols)));
        var pw = needWeightGrad ? new T[maxChunks * cols] : null; // (chunks, C)
        var pb = needBiasGrad ? new T[maxChunks * cols] : null;   // (chunks, C)
        T n = T.CreateChecked(cols);
        int chunks = RunRowChunks(rows, cols, (c, r0, r1) =>
        {
            var g = W != null ? new T[cols] : null;
            var xhat = new T[cols];
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<T>(X, xo + r * cols, cols);
                var dyr = new ReadOnlySpan<T>(DY, dyo + r * cols, cols);
                var dxr = new Span<T>(DX, r * cols, cols);
                T rs = R[ro + r];
                TensorPrimitives.Subtract(xr, M[mo + r], xhat);
                TensorPrimitives.Multiply(xhat, rs, xhat);
                ReadOnlySpan<T> gr = dyr;
                if (g != null)
                {
                    TensorPrimitives.Multiply(dyr, new ReadOnlySpan<T>(W, wo, cols), g);
                    gr = g;
                }
                T mg = TensorPrimitives.Sum(gr) / n;
                T mgx = TensorPrimitives.Dot(gr, xhat) / n;
                TensorPrimitives.Subtract(gr, mg, dxr);
                TensorPrimitives.MultiplyAdd(xhat, -mgx, dxr, dxr);
                TensorPrimitives.Multiply(dxr, rs, dxr);
                if (pw != null)
                {
                    var acc = pw.AsSpan(c * cols, cols);
                    TensorPrimitives.MultiplyAdd(dyr, xhat, acc, acc);
                }
                if (pb != null)
                {
                    var acc = pb.AsSpan(c * cols, cols);
                    TensorPrimitives.Add(acc, dyr, acc);
                }
            }
        });
        return (dx, pw != null ? SumPartials(pw, chunks, cols) : null, pb != null ? SumPartials(pb, chunks, cols) : null);
    }
}
