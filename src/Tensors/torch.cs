// The torch entry point: factories, grad mode, random seeding and the functional ops (spread over
// topic files as partials of this class, e.g. Ops/torch.Arithmetic.cs). Import with
// `using static PluginMoE.Tensors.torch;` to write matmul(a, b), nn.Linear, optim.AdamW.
using PluginMoE.Tensors.Autograd;

namespace PluginMoE.Tensors;

/// <summary>PyTorch-style functional API (TorchSharp's <c>torch</c> static class).</summary>
public static partial class torch
{
    /// <summary>float32.</summary>
    public const ScalarType float32 = ScalarType.Float32;
    /// <summary>float64.</summary>
    public const ScalarType float64 = ScalarType.Float64;
    /// <summary>int64.</summary>
    public const ScalarType int64 = ScalarType.Int64;
    /// <summary>int32.</summary>
    public const ScalarType int32 = ScalarType.Int32;
    /// <summary>bool.</summary>
    public const ScalarType @bool = ScalarType.Bool;
    /// <summary>float16.</summary>
    public const ScalarType float16 = ScalarType.Float16;
    /// <summary>bfloat16.</summary>
    public const ScalarType bfloat16 = ScalarType.BFloat16;

    /// <summary>The CPU device.</summary>
    public static Device CPU => Device.CPU;

    /// <summary>Parses a device string (<c>cpu</c>, <c>cuda</c>, <c>cuda:0</c>).</summary>
    public static Device device(string spec) => Device.Parse(spec);

    /// <summary>True when a CUDA backend is registered and LibTorch sees a CUDA device.</summary>
    public static bool cuda_is_available()
    {
        if (!Backends.BackendRegistry.IsRegistered(DeviceType.CUDA)) return false;
        try { _ = Backends.BackendRegistry.Get(new Device(DeviceType.CUDA)); return true; }
        catch (NotSupportedException) { return false; }
    }

    private static volatile Device _defaultDevice = Device.CPU;

    internal static Device DefaultDevice => _defaultDevice;

    /// <summary>A CPU-built tensor moved to the default device (itself when that is the CPU).</summary>
    internal static Tensor OnDefaultDevice(Tensor cpu) => _defaultDevice.type == DeviceType.CPU ? cpu : cpu.to(_defaultDevice);

    /// <summary>The device that factories (zeros, randn, tensor, arange, ...) and loaded checkpoints create tensors on.</summary>
    public static Device get_default_device() => _defaultDevice;

    /// <summary>
    /// Sets the device that factories (zeros, randn, tensor, arange, ...) create tensors on, for the whole process
    /// (PyTorch's <c>torch.set_default_device</c>). Random values are drawn on the CPU and copied, so a seed gives the
    /// same values on every device. 0-dim scalars made by ops stay on the CPU and mix with any device.
    /// </summary>
    /// <exception cref="NotSupportedException">The device has no backend loaded.</exception>
    public static void set_default_device(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _ = device.Backend; // a clear error when the backend is not loaded
        _defaultDevice = device;
    }

    // ------------------------------------------------------------------ grad mode

    /// <summary>Disables gradient recording until the returned scope is disposed.</summary>
    public static IDisposable no_grad() => GradMode.Set(false);

    /// <summary>Enables gradient recording until the returned scope is disposed.</summary>
    public static IDisposable enable_grad() => GradMode.Set(true);

    /// <summary>Sets gradient recording until the returned scope is disposed.</summary>
    public static IDisposable set_grad_enabled(bool enabled) => GradMode.Set(enabled);

    /// <summary>Whether ops on this thread record autograd history.</summary>
    public static bool is_grad_enabled() => GradMode.Enabled;

    // ------------------------------------------------------------------ random

    /// <summary>The default generator used when an op is given none.</summary>
    public static Generator default_generator { get; } = new(0);

    /// <summary>Seeds the default generator.</summary>
    public static Generator manual_seed(long seed) => default_generator.manual_seed(seed);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(long[] shape, ScalarType dtype = ScalarType.Float32, Generator? generator = null, bool requires_grad = false)
    {
        var t = Tensor.Empty(dtype, Shape.FromLong(shape));
        var g = generator ?? default_generator;
        switch (dtype)
        {
            case ScalarType.Float32: g.FillUniform(t.AsSpan<float>(), 0f, 1f); break;
            case ScalarType.Float64: g.FillUniform(t.AsSpan<double>(), 0.0, 1.0); break;
            default: throw new NotSupportedException($"rand: {dtype.TorchName()} is not a supported floating type");
        }
        return OnDefaultDevice(t).requires_grad_(requires_grad);
    }

    /// <summary>Uniform samples in [0, 1), float32.</summary>
    public static Tensor rand(params long[] shape) => rand(shape, ScalarType.Float32);

    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(long[] shape, ScalarType dtype = ScalarType.Float32, Generator? generator = null, bool requires_grad = false)
    {
        var t = Tensor.Empty(dtype, Shape.FromLong(shape));
        var g = generator ?? default_generator;
        switch (dtype)
        {
            case ScalarType.Float32: g.FillNormal(t.AsSpan<float>(), 0f, 1f); break;
            case ScalarType.Float64: g.FillNormal(t.AsSpan<double>(), 0.0, 1.0); break;
            default: throw new NotSupportedException($"randn: {dtype.TorchName()} is not a supported floating type");
        }
        return OnDefaultDevice(t).requires_grad_(requires_grad);
    }

    /// <summary>Standard normal samples, float32.</summary>
    public static Tensor randn(params long[] shape) => randn(shape, ScalarType.Float32);

    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor randint(long low, long high, long[] shape, ScalarType dtype = ScalarType.Int64, Generator? generator = null)
    {
        var t = Tensor.Empty(ScalarType.Int64, Shape.FromLong(shape));
        (generator ?? default_generator).FillInt(t.AsSpan<long>(), low, high);
        return OnDefaultDevice(t.to(dtype));
    }

    /// <summary>A random permutation of 0..n-1 (int64), Fisher-Yates driven by the generator.</summary>
    public static Tensor randperm(long n, Generator? generator = null)
    {
        var idx = new long[n];
        for (long i = 0; i < n; i++) idx[i] = i;
        if (n > 1)
        {
            var r = new long[n - 1];
            var g = generator ?? default_generator;
            for (long i = n - 1; i >= 1; i--)
            {
                var one = new long[1];
                g.FillInt(one, 0, i + 1);
                r[i - 1] = one[0];
            }
            for (long i = n - 1; i >= 1; i--) (idx[i], idx[r[i - 1]]) = (idx[r[i - 1]], idx[i]);
        }
        return OnDefaultDevice(Tensor.Wrap(idx, [(int)n]));
    }

    // ------------------------------------------------------------------ factories

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (1-D when null).</summary>
    public static Tensor tensor(float[] data, long[]? shape = null, bool requires_grad = false) => FromArray(data, shape).requires_grad_(requires_grad);

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor tensor(double[] data, long[]? shape = null, bool requires_grad = false) => FromArray(data, shape).requires_grad_(requires_grad);

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor tensor(long[] data, long[]? shape = null) => FromArray(data, shape);

    /// <summary>An int32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor tensor(int[] data, long[]? shape = null) => FromArray(data, shape);

    /// <summary>A bool tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor tensor(bool[] data, long[]? shape = null) => FromArray(data, shape);

    /// <summary>A 2-D float32 tensor from a rectangular array.</summary>
    public static Tensor tensor(float[,] data, bool requires_grad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new float[data.Length];
        int k = 0;
        foreach (var v in data) flat[k++] = v;
        return FromArray(flat, [data.GetLength(0), data.GetLength(1)]).requires_grad_(requires_grad);
    }

    private static Tensor FromArray<T>(T[] data, long[]? shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var sizes = shape is null ? [data.Length] : Shape.FromLong(shape);
        return OnDefaultDevice(Tensor.Wrap((T[])data.Clone(), sizes));
    }

    /// <summary>A 0-dim tensor.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = ScalarType.Float32)
    {
        var t = Tensor.Empty(dtype, []);
        t.backend.Fill(t, value);
        return t;
    }

    /// <summary>Zeros of the given shape and type.</summary>
    public static Tensor zeros(long[] shape, ScalarType dtype, bool requires_grad = false) =>
        Tensor.Zeros(dtype, Shape.FromLong(shape), _defaultDevice).requires_grad_(requires_grad);

    /// <summary>float32 zeros.</summary>
    public static Tensor zeros(params long[] shape) => zeros(shape, ScalarType.Float32);

    /// <summary>Ones of the given shape and type.</summary>
    public static Tensor ones(long[] shape, ScalarType dtype, bool requires_grad = false) => full(shape, 1.0, dtype, requires_grad);

    /// <summary>float32 ones.</summary>
    public static Tensor ones(params long[] shape) => ones(shape, ScalarType.Float32);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor full(long[] shape, double value, ScalarType dtype = ScalarType.Float32, bool requires_grad = false)
    {
        var t = Tensor.Empty(dtype, Shape.FromLong(shape), _defaultDevice);
        t.backend.Fill(t, value);
        return t.requires_grad_(requires_grad);
    }

    /// <summary>An uninitialised tensor (contents unspecified).</summary>
    public static Tensor empty(long[] shape, ScalarType dtype = ScalarType.Float32) => Tensor.Empty(dtype, Shape.FromLong(shape), _defaultDevice);

    /// <summary>Zeros shaped like <paramref name="t"/>, on its device.</summary>
    public static Tensor zeros_like(Tensor t)
    {
        return Tensor.Zeros(t.dtype, (int[])t.Sizes.Clone(), t.device);
    }

    /// <summary>Ones shaped like <paramref name="t"/>, on its device.</summary>
    public static Tensor ones_like(Tensor t) => full_like(t, 1.0);

    /// <summary>A tensor filled with <paramref name="value"/> shaped like <paramref name="t"/>, on its device.</summary>
    public static Tensor full_like(Tensor t, double value)
    {
        var r = Tensor.Empty(t.dtype, (int[])t.Sizes.Clone(), t.device);
        r.backend.Fill(r, value);
        return r;
    }

    /// <summary>Values start, start+step, ... below end (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor arange(long start, long end, long step = 1, ScalarType dtype = ScalarType.Int64)
    {
        if (step == 0) throw new ArgumentException("arange: step must be non-zero");
        long n = Math.Max(0, (end - start + step - (step > 0 ? 1 : -1)) / step);
        var d = new long[n];
        for (long i = 0; i < n; i++) d[i] = start + i * step;
        return OnDefaultDevice(Tensor.Wrap(d, [(int)n]).to(dtype));
    }

    /// <summary>0, 1, ..., end-1 (int64).</summary>
    public static Tensor arange(long end) => arange(0, end);

    /// <summary>The n x n identity matrix.</summary>
    public static Tensor eye(long n, ScalarType dtype = ScalarType.Float32)
    {
        var t = zeros([n, n], dtype);
        for (long i = 0; i < n; i++) t[i][i].fill_(1);
        return t;
    }

    /// <summary>Evenly spaced values from start to end inclusive.</summary>
    public static Tensor linspace(double start, double end, long steps, ScalarType dtype = ScalarType.Float32)
    {
        var d = new double[steps];
        for (long i = 0; i < steps; i++) d[i] = steps == 1 ? start : start + (end - start) * i / (steps - 1);
        return OnDefaultDevice(Tensor.Wrap(d, [(int)steps]).to(dtype));
    }

    // ------------------------------------------------------------------ functional arithmetic

    /// <summary>Element-wise sum.</summary>
    public static Tensor add(Tensor a, Tensor b) => a.add(b);
    /// <summary>Element-wise difference.</summary>
    public static Tensor sub(Tensor a, Tensor b) => a.sub(b);
    /// <summary>Element-wise product.</summary>
    public static Tensor mul(Tensor a, Tensor b) => a.mul(b);
    /// <summary>Element-wise quotient.</summary>
    public static Tensor div(Tensor a, Tensor b) => a.div(b);
    /// <summary>Negation.</summary>
    public static Tensor neg(Tensor a) => a.neg();
    /// <summary>Sum of all elements.</summary>
    public static Tensor sum(Tensor a) => a.sum();
    /// <summary>Mean of all elements.</summary>
    public static Tensor mean(Tensor a) => a.mean();
}
