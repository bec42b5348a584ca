// CPU storage: the elements live in a managed array (T[] of the element type) that the CPU backend's kernels index.
// A storage from the caching allocator can be released: its array goes back to the pool and every view of the
// storage fails loudly from then on, so a released buffer is never visible through a live tensor.
namespace PluginMoE.Tensors;

/// <summary>Storage in a managed array on the CPU; only the CPU backend reads its elements.</summary>
internal sealed class ManagedStorage : TensorStorage
{
    private Array? _data;

    /// <summary>Wraps <paramref name="data"/> (no copy); <paramref name="pooled"/> when the array belongs to the caching allocator.</summary>
    internal ManagedStorage(Array data, ScalarType dtype, bool pooled = false)
        : this(data, dtype, data.Length, pooled)
    {
    }

    /// <summary>
    /// Wraps the first <paramref name="length"/> elements of <paramref name="data"/> (a pooled array is rounded up to
    /// its size class, so it may be longer; kernels index it through offsets and sizes, never its full length).
    /// </summary>
    internal ManagedStorage(Array data, ScalarType dtype, int length, bool pooled)
        : base(dtype, length, Device.CPU)
    {
        if (length > data.Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"the array holds only {data.Length} elements");
        _data = data;
        Pooled = pooled;
    }

    /// <summary>True when the array came from <see cref="CachingAllocator"/> and goes back to it on <see cref="TensorStorage.Release"/>.</summary>
    internal bool Pooled { get; }

    /// <inheritdoc/>
    protected override bool Releasable => Pooled;

    /// <summary>A new storage of <paramref name="length"/> elements from the caching allocator (contents unspecified).</summary>
    internal static ManagedStorage Allocate(ScalarType dtype, int length) => CachingAllocator.Allocate(dtype, length);

    /// <summary>The array, typed (its length may exceed <see cref="TensorStorage.Length"/>: a pooled array has its size class's length).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the element type, or the storage was released.</exception>
    internal T[] As<T>() where T : unmanaged
    {
        var data = _data ?? throw ReleasedError();
        return data as T[] ?? throw new InvalidOperationException($"tensor holds {dtype.TorchName()}, not {typeof(T).Name}");
    }

    /// <summary>Sets every element to zero.</summary>
    internal void Clear() => Array.Clear(_data ?? throw ReleasedError());

    /// <summary>Gives the pooled array back to the allocator (storages that wrap a caller's array are never released).</summary>
    protected override void OnRelease()
    {
        if (_data is not { } data) return;
        _data = null;
        CachingAllocator.Return(data, dtype);
    }
}
