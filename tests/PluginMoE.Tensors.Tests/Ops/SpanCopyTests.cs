// torch.from_span and Tensor.copy_to_span: values and dtype both ways, strided sources, the error messages.
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Ops;

public class SpanCopyTests
{
    [Fact]
    public void FromSpan_CopiesTheValuesIntoANewTensorOfTheSpansType()
    {
        long[] data = [5, -1, 7, 0];
        var t = from_span<long>(data.AsSpan(1, 2));
        data[1] = 99; // a copy, not a view of the array
        Assert.Equal(ScalarType.Int64, t.dtype);
        Assert.Equal([2L], t.shape);
        Assert.Equal([-1L, 7], t.data<long>());
        Assert.Equal(ScalarType.Float32, from_span<float>([1.5f]).dtype);
        Assert.Equal(0, from_span<int>([]).numel());
    }

    [Fact]
    public void CopyToSpan_WritesRowMajorElements_AlsoOfAStridedView()
    {
        var t = arange(6).to(ScalarType.Float64).reshape(2, 3).t(); // (3, 2), not contiguous
        var dst = new double[8];
        t.copy_to_span<double>(dst);
        Assert.Equal([0.0, 3, 1, 4, 2, 5, 0, 0], dst);
    }

    [Fact]
    public void CopyToSpan_WrongTypeOrShortDestination_SaysWhat()
    {
        var t = zeros([3], ScalarType.Float32);
        var wrong = Assert.Throws<InvalidOperationException>(() => t.copy_to_span<long>(new long[3]));
        Assert.Equal("copy_to_span<Int64>() on a float32 tensor; convert with to() first", wrong.Message);
        var shortDst = Assert.Throws<ArgumentException>(() => t.copy_to_span<float>(new float[2]));
        Assert.StartsWith("copy_to_span: the destination holds 2 elements, the tensor 3", shortDst.Message);
    }
}
