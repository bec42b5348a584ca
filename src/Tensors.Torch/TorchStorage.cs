// Storage owned by LibTorch: a flat, contiguous LibTorch tensor (host memory for torch-cpu, GPU memory for cuda)
// that every PluginMoE view of it indexes by sizes, strides and offset. Its memory is released when the storage
// is disposed or, failing that, when the garbage collector finalises the TorchSharp handle.
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

/// <summary>A <see cref="TensorStorage"/> whose elements live in a LibTorch tensor.</summary>
public sealed class TorchStorage : TensorStorage, IDisposable
{
    internal TorchStorage(TT.Tensor flat, ScalarType dtype, Device device)
        : base(dtype, flat.numel(), device)
    {
        Buffer = flat;
    }

    /// <summary>The 1-D contiguous LibTorch tensor holding the elements (storage offset 0), outside any dispose scope.</summary>
    internal TT.Tensor Buffer { get; }

    /// <summary>Frees the LibTorch memory now; views of this storage must not be used afterwards.</summary>
    public void Dispose() => Buffer.Dispose();
}
