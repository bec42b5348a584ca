// Read-only byte ranges of a safetensors file: from a memory mapping (files) or from an array (in-memory
// buffers), so the reader has one code path for both.
using System.IO.MemoryMappedFiles;

namespace PluginMoE.Tensors.Serialization;

/// <summary>A read-only byte buffer that hands out spans of at most <see cref="int.MaxValue"/> bytes.</summary>
internal abstract class ByteSource : IDisposable
{
    /// <summary>Total number of bytes.</summary>
    public abstract long Length { get; }

    /// <summary>The bytes [offset, offset + length); the caller has checked the range.</summary>
    public abstract ReadOnlySpan<byte> Span(long offset, int length);

    /// <inheritdoc/>
    public abstract void Dispose();
}

/// <summary>An in-memory buffer.</summary>
internal sealed class ArrayByteSource(byte[] data) : ByteSource
{
    public override long Length => data.Length;
    public override ReadOnlySpan<byte> Span(long offset, int length) => data.AsSpan(checked((int)offset), length);
    public override void Dispose() { }
}

/// <summary>
/// A file mapped read-only into memory: pages are read from disk (or the page cache) only when a tensor
/// touching them is materialised. The file must not be truncated while mapped (the OS would fault on
/// access); <see cref="SafeTensors.Save(string, IEnumerable{KeyValuePair{string, Tensor}}, IReadOnlyDictionary{string, string}?, ScalarType?)"/>
/// replaces files by rename, which leaves readers of the old file intact.
/// </summary>
internal sealed unsafe class MappedByteSource : ByteSource
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _ptr;
    private readonly long _length;

    public MappedByteSource(FileStream file, long length)
    {
        _length = length;
        _map = MemoryMappedFile.CreateFromFile(file, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
            HandleInheritability.None, leaveOpen: false);
        try
        {
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _ptr = p + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _map.Dispose();
            throw;
        }
    }

    public override long Length => _length;

    public override ReadOnlySpan<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_ptr == null, this);
        return new ReadOnlySpan<byte>(_ptr + offset, length);
    }

    public override void Dispose()
    {
        if (_ptr == null) return;
        _ptr = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
