// Shared helpers: registers the LibTorch backend once, makes random inputs in three layouts (contiguous,
// strided, broadcast) on cpu and their copies on torch-cpu, and compares results within a tolerance.
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Torch.Tests;

/// <summary>Layouts every kernel is checked on.</summary>
public enum Layout
{
    Contiguous,
    /// <summary>A transposed, narrowed view of a larger tensor (non-unit strides, non-zero offset).</summary>
    Strided,
    /// <summary>A view expanded from a smaller tensor (zero strides).</summary>
    Broadcast,
}

internal static class TorchTestSupport
{
    private static readonly Lazy<string> Loaded = new(TorchBackend.Register);

    private static readonly Device TorchCpuDevice = Device.Parse("torch-cpu");

    /// <summary>The torch-cpu device (registering the LibTorch backend on first use).</summary>
    public static Device TorchCpu
    {
        get { _ = Loaded.Value; return TorchCpuDevice; }
    }

    public static IBackend Cpu => BackendRegistry.Get(Device.CPU);

    public static IBackend Tb
    {
        get { _ = Loaded.Value; return BackendRegistry.Get(TorchCpu); }
    }

    public static void EnsureRegistered() => _ = Loaded.Value;

    /// <summary>float32: 1e-4 relative + 1e-5 absolute; float64: 1e-10 relative + 1e-12 absolute.</summary>
    public static (double rtol, double atol) Tol(ScalarType t) => t == ScalarType.Float64 ? (1e-10, 1e-12) : (1e-4, 1e-5);

    /// <summary>A random tensor of <paramref name="shape"/> in <paramref name="layout"/> on cpu, and the same view on torch-cpu.</summary>
    public static (Tensor cpu, Tensor dev) Pair(Generator g, ScalarType dtype, Layout layout, long[] shape, Func<Tensor, Tensor>? map = null)
    {
        EnsureRegistered();
        Tensor baseT;
        Func<Tensor, Tensor> view;
        switch (layout)
        {
            case Layout.Contiguous:
                baseT = torch.randn(shape, ScalarType.Float64, g);
                view = t => t;
                break;
            case Layout.Strided:
            {
                // Build the reversed shape with one extra row, narrow it, then permute back: strides are not row-major.
                var rev = shape.Reverse().ToArray();
                if (rev.Length > 0) rev[0] += 1;
                baseT = torch.randn(rev, ScalarType.Float64, g);
                int r = shape.Length;
                view = t =>
                {
                    if (r == 0) return t;
                    var v = t.narrow(0, 1, shape[^1]);
                    return v.permute(Enumerable.Range(0, r).Reverse().Select(i => (long)i).ToArray());
                };
                break;
            }
            default:
            {
                // Size 1 in the leading dim (when there is one), expanded back to the full shape.
                var small = (long[])shape.Clone();
                if (small.Length > 0) small[0] = 1;
                baseT = torch.randn(small, ScalarType.Float64, g);
                view = t => t.expand(shape);
                break;
            }
        }
        var mapped = map is null ? baseT : map(baseT);
        var typed = mapped.to(dtype);
        var c = view(typed);
        var d = view(typed.to(TorchCpu));
        Assert.Equal(Device.CPU, c.device);
        Assert.Equal(TorchCpu, d.device);
        Assert.Equal(c.shape, d.shape);
        Assert.Equal(c.stride(), d.stride());
        return (c, d);
    }

    /// <summary>A contiguous tensor on cpu and its copy on torch-cpu.</summary>
    public static (Tensor cpu, Tensor dev) Same(Tensor cpu)
    {
        EnsureRegistered();
        return (cpu, cpu.to(TorchCpu));
    }

    public static void Close(Tensor expected, Tensor actual, double rtol, double atol, string what = "")
    {
        Assert.Equal(Device.CPU, expected.device);
        Assert.Equal(TorchCpu, actual.device);
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype} vs expected {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(",", actual.shape)}] vs expected [{string.Join(",", expected.shape)}]");
        var e = expected.to(ScalarType.Float64).data<double>();
        var a = actual.to(ScalarType.Float64).data<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i])) { Assert.True(double.IsNaN(a[i]), $"{what}[{i}]: {a[i]} vs NaN"); continue; }
            if (double.IsInfinity(e[i])) { Assert.Equal(e[i], a[i]); continue; }
            double diff = Math.Abs(e[i] - a[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(e[i]), $"{what}[{i}]: {a[i]:G10} vs expected {e[i]:G10} (diff {diff:G3})");
        }
    }

    public static void Close(Tensor expected, Tensor actual, ScalarType t, string what = "")
    {
        var (r, a) = Tol(t);
        Close(expected, actual, r, a, what);
    }
}
