// CPU storage: the elements live in a managed array (T[] of the element type) that the CPU backend's kernels index.
namespace PluginMoE.Tensors;

/// <summary>Storage in a managed array on the CPU; only the CPU backend reads its elements.</summary>
internal sealed class ManagedStorage : TensorStorage
{
    private readonly Array _data;

    /// <summary>Wraps <paramref name="data"/> (no copy); its element type gives the storage's dtype.</summary>
    internal ManagedStorage(Array data, ScalarType dtype)
        : base(dtype, data.Length, Device.CPU)
    {
        _data = data;
    }

    /// <summary>A new array of <paramref name="length"/> elements of <paramref name="dtype"/>, uninitialised where the runtime allows.</summary>
    internal static ManagedStorage Allocate(ScalarType dtype, int length) => new(dtype switch
    {
        ScalarType.Float32 => GC.AllocateUninitializedArray<float>(length),
        ScalarType.Float64 => GC.AllocateUninitializedArray<double>(length),
        ScalarType.Int64 => GC.AllocateUninitializedArray<long>(length),
        ScalarType.Int32 => GC.AllocateUninitializedArray<int>(length),
        ScalarType.Bool => new bool[length],
        ScalarType.Float16 => GC.AllocateUninitializedArray<Half>(length),
        ScalarType.BFloat16 => GC.AllocateUninitializedArray<BFloat16>(length),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    }, dtype);

    /// <summary>The array, typed.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the element type.</exception>
    internal T[] As<T>() where T : unmanaged =>
        _data as T[] ?? throw new InvalidOperationException($"tensor holds {dtype.TorchName()}, not {typeof(T).Name}");

    /// <summary>Sets every element to zero.</summary>
    internal void Clear() => Array.Clear(_data);
}
