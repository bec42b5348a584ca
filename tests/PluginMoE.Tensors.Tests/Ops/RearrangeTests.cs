// Tests for tril / triu / flip: PyTorch 1.13 values and gradients.
namespace PluginMoE.Tensors.Tests.Ops;

public class RearrangeTests
{
    private static Tensor S34() => torch.arange(12).reshape(3, 4).to(ScalarType.Float32);

    [Fact]
    public void TrilTriu_WithDiagonalOffsets_MatchPyTorch()
    {
        // s.tril(1), s.triu(-1) for s = torch.arange(12.).reshape(3, 4)
        Assert.Equal(new float[] { 0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11 }, S34().tril(1).data<float>());
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11 }, S34().triu(-1).data<float>());
        var mask = torch.ones([2, 3, 3], ScalarType.Bool).tril();
        Assert.Equal(new[] { true, false, false, true, true, false, true, true, true }, mask[1].data<bool>());
        Assert.Throws<ArgumentException>(() => torch.ones(3).tril());
    }

    [Fact]
    public void Flip_BothDims_MatchesPyTorch()
    {
        // torch.flip(s, [0, 1])
        Assert.Equal(new float[] { 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 }, S34().flip(0, 1).data<float>());
        Assert.Equal(new float[] { 3, 7, 11, 2, 6, 10, 1, 5, 9, 0, 4, 8 }, S34().t().flip(0).data<float>());
    }

    [Fact]
    public void TrilTriuFlip_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var x = GradCheck.Input(new Generator(71), 2, 4, 3);
        GradCheck.Check(a => a[0].transpose(1, 2).tril(-1) + a[0].transpose(1, 2).triu(2), [x]);
        GradCheck.Check(a => a[0].permute(2, 0, 1).flip(0, 2), [x]);
    }
}
