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
        : base(dtype, data.Length, Device.CPU)
    {
        _data = data;
        Pooled = pooled;
    }

    /// <summary>True when the array came from <see cref="CachingAllocator"/> and goes back to it on <see cref="TensorStorage.Release"/>.</summary>
    internal bool Pooled { get; }

    /// <inheritdoc/>
    protected override bool Releasable => Pooled;

    /// <summary>A new storage of <paramref name="length"/> elements from the caching allocator (contents unspecified).</summary>
    internal static ManagedStorage Allocate(ScalarType dtype, int length) => CachingAllocator.Allocate(dtype, length);

    /// <summary>The array, typed.</summary>
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
