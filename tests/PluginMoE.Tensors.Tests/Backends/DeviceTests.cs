using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Backends;

public class DeviceTests
{
    [Fact]
    public void Cpu_ResolvesToTheCpuBackend()
    {
        Assert.Equal("cpu", torch.device("cpu").Backend.Name);
        Assert.Equal(DeviceType.CPU, torch.zeros(2).device.type);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    public void Cuda_SaysItsBackendIsNotLoaded(string spec)
    {
        var device = torch.device(spec);
        var ex = Assert.Throws<NotSupportedException>(() => torch.zeros(2).to(device));
        Assert.Contains($"device '{spec}' was requested, but its backend is not loaded", ex.Message);
        Assert.Contains("PluginMoE.Tensors.Torch", ex.Message);
        Assert.Contains("Built-in device: cpu", ex.Message);
        Assert.False(torch.cuda_is_available());
    }

    [Fact]
    public void UnknownDevice_NamesTheAcceptedForms()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.device("tpu"));
        Assert.Contains("'tpu'", ex.Message);
        Assert.Contains("'cpu', 'torch-cpu', 'cuda' or 'cuda:N'", ex.Message);
    }

    [Fact]
    public void WithThreads_ScopesTheThreadCountToTheCurrentFlow()
    {
        int global = ParallelFor.Threads;
        using (ParallelFor.WithThreads(1)) Assert.Equal(1, ParallelFor.Threads);
        Assert.Equal(global, ParallelFor.Threads);
    }
}
