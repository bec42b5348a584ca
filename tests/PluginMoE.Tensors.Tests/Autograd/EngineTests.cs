namespace PluginMoE.Tensors.Tests.Autograd;

public class EngineTests
{
    [Fact]
    public void Backward_SharedSubexpression_AccumulatesBothPaths()
    {
        var x = torch.tensor(new[] { 3.0 }, requires_grad: true);
        var y = x * x + x * 2.0; // dy/dx = 2x + 2 = 8
        y.sum().backward();
        Assert.Equal(8.0, x.grad!.item<double>(), 12);
    }

    [Fact]
    public void Backward_CalledTwice_AccumulatesIntoGrad()
    {
        var x = torch.tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        (x * 3.0).sum().backward();
        (x * 3.0).sum().backward();
        Assert.Equal(new[] { 6.0, 6.0 }, x.grad!.data<double>());
    }

    [Fact]
    public void Backward_NonScalarWithoutGradient_FailsWithShapeMessage()
    {
        var x = torch.ones([2, 3], ScalarType.Float32, requires_grad: true);
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2.0).backward());
        Assert.Contains("one-element output", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void Backward_SecondTimeWithoutRetainGraph_FailsWithRetainGraphHint()
    {
        var x = torch.ones([2], ScalarType.Float64, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y.backward());
        Assert.Contains("retain_graph", ex.Message);
    }

    [Fact]
    public void Backward_WithRetainGraph_CanRunTwice()
    {
        var x = torch.ones([2], ScalarType.Float64, requires_grad: true);
        var y = (x * x).sum();
        y.backward(retain_graph: true);
        y.backward();
        Assert.Equal(new[] { 4.0, 4.0 }, x.grad!.data<double>());
    }

    [Fact]
    public void NoGrad_Scope_RecordsNothing()
    {
        var x = torch.ones([2], ScalarType.Float64, requires_grad: true);
        Tensor y;
        using (torch.no_grad()) y = x * 2.0;
        Assert.False(y.requires_grad);
        Assert.True(torch.is_grad_enabled());
    }

    [Fact]
    public void Detach_CutsTheGraph()
    {
        var x = torch.ones([2], ScalarType.Float64, requires_grad: true);
        var y = (x * 2.0).detach();
        Assert.False(y.requires_grad);
        Assert.True(y.is_leaf);
    }

    [Fact]
    public void RetainGrad_KeepsIntermediateGradient()
    {
        var x = torch.tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var h = x * 3.0;
        h.retain_grad();
        (h * h).sum().backward();
        Assert.Equal(new[] { 6.0, 12.0 }, h.grad!.data<double>());
    }

    [Fact]
    public void InPlace_OnTensorRequiringGrad_Fails()
    {
        var x = torch.ones([2], ScalarType.Float32, requires_grad: true);
        Assert.Throws<InvalidOperationException>(() => x.fill_(3));
        using (torch.no_grad()) x.fill_(3);
        Assert.Equal(new[] { 3f, 3f }, x.data<float>());
    }
}
