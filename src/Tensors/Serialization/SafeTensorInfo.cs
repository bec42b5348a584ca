// One entry of a safetensors header: a tensor's dtype, shape and byte range.
namespace PluginMoE.Tensors.Serialization;

/// <summary>Where and how one tensor is stored in a safetensors file (validated against the file).</summary>
public sealed class SafeTensorInfo
{
    private readonly long[] _shape;

    internal SafeTensorInfo(string name, SafeTensorsDType dtype, long[] shape, long numel, long begin, long end, long dataStart)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        Numel = numel;
        DataBegin = begin;
        DataEnd = end;
        FileOffset = dataStart + begin;
    }

    /// <summary>Tensor name (the header key).</summary>
    public string Name { get; }

    /// <summary>Element type as stored.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The engine type <see cref="SafeTensorsFile.GetTensor"/> returns by default.</summary>
    public ScalarType ScalarType => DType.LoadedAs();

    /// <summary>Sizes of each dimension (empty for a 0-dim tensor).</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Number of elements (1 for a 0-dim tensor, 0 for an empty one).</summary>
    public long Numel { get; }

    /// <summary>Start of the tensor's bytes, relative to the data buffer (the header's <c>data_offsets[0]</c>).</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the data buffer (<c>data_offsets[1]</c>).</summary>
    public long DataEnd { get; }

    /// <summary>Number of bytes the tensor occupies.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>Absolute position of the tensor's first byte in the file.</summary>
    public long FileOffset { get; }

    /// <summary>A copy of the shape as an array.</summary>
    public long[] ShapeArray() => (long[])_shape.Clone();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {DType} [{string.Join(", ", _shape)}] bytes [{DataBegin}, {DataEnd})";
}
