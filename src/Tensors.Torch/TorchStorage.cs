// Storage owned by LibTorch: a flat, contiguous LibTorch tensor (host memory for torch-cpu, GPU memory for cuda)
// that every PluginMoE view of it indexes by sizes, strides and offset. Like a pooled CPU array it belongs to the
// innermost PluginMoE dispose scope when it is created (and to a running backward pass), so its memory is freed
// deterministically when that scope ends, when backward() is done with it, or by Dispose(); failing all of those,
// when the garbage collector finalises the TorchSharp handle. A released storage's buffer is unreachable: every
// view of it throws.
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

/// <summary>A <see cref="TensorStorage"/> whose elements live in a LibTorch tensor.</summary>
public sealed class TorchStorage : TensorStorage, IDisposable
{
    private static long _live;
    private TT.Tensor? _buffer;

    internal TorchStorage(TT.Tensor flat, ScalarType dtype, Device device)
        : base(dtype, flat.numel(), device)
    {
        _buffer = flat;
        Interlocked.Increment(ref _live);
        TrackForRelease();
    }

    /// <summary>Number of torch storages of this process whose LibTorch memory is held: created, and neither released nor finalised.</summary>
    public static long LiveCount => Interlocked.Read(ref _live);

    /// <summary>The 1-D contiguous LibTorch tensor holding the elements (storage offset 0), outside any TorchSharp dispose scope.</summary>
    /// <exception cref="InvalidOperationException">The storage was released.</exception>
    internal TT.Tensor Buffer => _buffer ?? throw ReleasedError();

    /// <summary>Frees the LibTorch memory now; views of this storage throw afterwards.</summary>
    public void Dispose() => Release();

    /// <inheritdoc/>
    protected override void OnRelease()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is null) return;
        buffer.Dispose();
        Interlocked.Decrement(ref _live);
        GC.SuppressFinalize(this);
    }

    /// <summary>A storage dropped without a release: TorchSharp's own finaliser frees the LibTorch tensor; this one keeps the count.</summary>
    ~TorchStorage()
    {
        if (_buffer is not null) Interlocked.Decrement(ref _live);
    }
}
