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

    /// <summary>True when the array came from <see cref="CachingAllocator"/> and goes back to it on <see cref="Release"/>.</summary>
    internal bool Pooled { get; }

    /// <summary>The dispose scope that releases this storage when it ends, or null.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>True when a tensor's <c>.grad</c> holds this storage: backward never releases it.</summary>
    internal bool KeptByGrad { get; set; }

    /// <summary>True once <see cref="Release"/> has returned the array.</summary>
    internal bool IsReleased => _data is null;

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

    /// <summary>
    /// Gives a pooled array back to the allocator; every view of this storage is unusable afterwards. Idempotent;
    /// storages that wrap a caller's array are never released.
    /// </summary>
    internal void Release()
    {
        if (!Pooled || _data is not { } data) return;
        _data = null;
        Scope = null;
        CachingAllocator.Return(data, dtype);
    }

    private static InvalidOperationException ReleasedError() => new(
        "this tensor's memory was released: it was created inside a dispose scope that has ended (torch.NewDisposeScope), " +
        "or it was a gradient buffer that backward() had finished with. Keep a tensor beyond its scope with " +
        "MoveToOuterDisposeScope() or DetachFromDisposeScope(), or clone() it before the scope ends");
}
