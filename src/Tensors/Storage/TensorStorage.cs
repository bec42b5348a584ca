// The memory behind tensors: an abstract buffer of typed elements on one device, shared by every view of it.
// The CPU backend keeps its elements in a managed array (ManagedStorage); other backends (LibTorch) hold
// their own buffers and subclass this type.
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
}
