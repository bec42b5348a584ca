// The memory behind tensors: an abstract buffer of typed elements on one device, shared by every view of it.
// The CPU backend keeps its elements in a managed array (ManagedStorage); other backends (LibTorch) hold
// their own buffers and subclass this type. Every storage can be released deterministically (a dispose scope ending,
// or backward() finishing with a buffer); from then on every view of it fails instead of showing freed memory.
namespace PluginMoE.Tensors;

/// <summary>
/// The buffer of elements that one or more <see cref="Tensor"/> views share (PyTorch's <c>torch.UntypedStorage</c>,
/// typed here). A backend allocates storages (<see cref="Backends.IBackend.Allocate"/>) and is the only code that
/// reads or writes their elements; everything outside the backend sees sizes, strides and offsets only.
/// </summary>
public abstract class TensorStorage
{
    /// <summary>Creates a storage of <paramref name="length"/> elements of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="length">Number of elements.</param>
    /// <param name="device">The device that holds the elements.</param>
    protected TensorStorage(ScalarType dtype, long length, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.dtype = dtype;
        Length = length;
        Device = device;
    }

    /// <summary>Element type.</summary>
    public ScalarType dtype { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The device that holds the elements; its backend runs the kernels of every view of this storage.</summary>
    public Device Device { get; }

    /// <summary>Size in bytes.</summary>
    public long Bytes => Length * dtype.ElementSize();

    /// <summary>True once <see cref="Release"/> has freed the elements.</summary>
    public bool IsReleased { get; private set; }

    /// <summary>The dispose scope that releases this storage when it ends, or null.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>
    /// Number of in-place writes through any view of this storage (PyTorch's version counter): autograd nodes record it
    /// for the tensors they save and refuse to run backward once it has moved.
    /// </summary>
    internal int Version { get; private set; }

    /// <summary>Name of the last in-place op that wrote to this storage (for autograd's error message), or null.</summary>
    internal string? LastInPlaceOp { get; private set; }

    /// <summary>Records an in-place write by <paramref name="op"/>.</summary>
    internal void BumpVersion(string op)
    {
        Version++;
        LastInPlaceOp = op;
    }

    /// <summary>True when a tensor's <c>.grad</c> holds this storage: backward never releases it.</summary>
    internal bool KeptByGrad { get; set; }

    /// <summary>
    /// True when backward created this storage for a leaf's <c>.grad</c> and nothing else was given it: dropping the
    /// gradient (<c>zero_grad(set_to_none: true)</c>) releases it to the pool, so the next backward reuses it.
    /// </summary>
    internal bool IsGradBuffer { get; set; }

    /// <summary>Whether <see cref="Release"/> frees anything (false for storages that wrap a caller's array).</summary>
    protected virtual bool Releasable => true;

    /// <summary>
    /// Hands this new storage to the innermost dispose scope of this thread (if any) and to a running backward pass, so
    /// that it is released deterministically. A backend calls it once for each storage it allocates.
    /// </summary>
    protected void TrackForRelease() => CachingAllocator.Allocated(this);

    /// <summary>
    /// Frees the elements now (a pooled array goes back to the caching allocator, a backend buffer is freed); every
    /// view of this storage fails from then on. Idempotent; does nothing for storages that are not releasable.
    /// </summary>
    public void Release()
    {
        if (IsReleased || !Releasable) return;
        IsReleased = true;
        if (Scope is { } scope) scope.Forget(this);
        Scope = null;
        OnRelease();
    }

    /// <summary>Frees the elements; called once, by <see cref="Release"/>.</summary>
    protected virtual void OnRelease()
    {
    }

    /// <summary>The error for using a released storage.</summary>
    protected internal static InvalidOperationException ReleasedError() => new(
        "this tensor's memory was released: it was created inside a dispose scope that has ended (torch.NewDisposeScope), " +
        "or it was a gradient buffer that backward() had finished with, or a parameter's .grad that zero_grad() dropped. " +
        "Keep a tensor beyond its scope with MoveToOuterDisposeScope() or DetachFromDisposeScope(), or clone() it before " +
        "the scope ends (or before zero_grad())");
}
