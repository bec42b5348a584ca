// Copies between tensors and spans without an intermediate managed array: per-step host-side bookkeeping (the MoE
// dispatch's expert-sorted index lists) is built in rented buffers and becomes a tensor whose storage the backend pools.
namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>
    /// A new 1-D CPU tensor holding a copy of <paramref name="data"/>, of the dtype of <typeparamref name="T"/> (float, double,
    /// long, int or bool); unlike <see cref="tensor(long[], long[])"/> no array is cloned: the storage comes from the backend.
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a tensor element type.</exception>
    public static Tensor from_span<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var t = Tensor.Empty(ScalarTypeExtensions.Of<T>(), [data.Length]);
        data.CopyTo(t.AsSpan<T>());
        return t;
    }
}

public partial class Tensor
{
    /// <summary>Copies the elements, in row-major order, into <paramref name="destination"/> (the allocation-free <see cref="data{T}"/>).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> is not the element type.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the tensor.</exception>
    public void copy_to_span<T>(Span<T> destination) where T : unmanaged
    {
        if (ScalarTypeExtensions.Of<T>() != dtype)
            throw new InvalidOperationException($"copy_to_span<{typeof(T).Name}>() on a {dtype.TorchName()} tensor; convert with to() first");
        if (destination.Length < NumelCached)
            throw new ArgumentException($"copy_to_span: the destination holds {destination.Length} elements, the tensor {NumelCached}", nameof(destination));
        var host = device.type == DeviceType.CPU ? contiguous() : detach().to(Device.CPU);
        host.AsSpan<T>().CopyTo(destination);
    }
}
