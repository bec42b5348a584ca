// Device strings, moves between devices, and the errors for mixed devices and for cuda without a CUDA LibTorch.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.Torch.Tests.TorchTestSupport;

namespace PluginMoE.Tensors.Torch.Tests;

public sealed class DeviceTests : IDisposable
{
    public void Dispose() => torch.set_default_device(Device.CPU);

    [Fact]
    public void ParsesTheDeviceStrings()
    {
        Assert.Equal(new Device(DeviceType.TorchCPU), Device.Parse("torch-cpu"));
        Assert.Equal("torch-cpu", Device.Parse(" Torch-CPU ").ToString());
        Assert.Equal(new Device(DeviceType.CUDA, 1), Device.Parse("cuda:1"));
        Assert.Equal("cuda:1", Device.Parse("cuda:1").ToString());
        var e = Assert.Throws<ArgumentException>(() => Device.Parse("torch-cpu:0"));
        Assert.StartsWith("bad device 'torch-cpu:0': only 'cuda' takes an index ('cuda:N')", e.Message);
        e = Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.StartsWith("unknown device 'tpu': expected 'cpu', 'torch-cpu', 'cuda' or 'cuda:N'", e.Message);
    }

    [Fact]
    public void MovesBetweenCpuAndTorchCpuWithGradients()
    {
        var x = torch.randn([3, 4], ScalarType.Float64, new Generator(1)).requires_grad_();
        var d = x.to(TorchCpu);
        Assert.Equal(TorchCpu, d.device);
        Assert.IsType<TorchStorage>(d.Storage);
        Assert.Equal(x.data<double>(), d.data<double>());
        var back = d.mul(2.0).to(Device.CPU);
        Assert.Equal(Device.CPU, back.device);
        back.sum().backward();
        Assert.Equal(Device.CPU, x.grad!.device);
        Assert.All(x.grad.data<double>(), g => Assert.Equal(2.0, g));
        Assert.Same(d, d.to(TorchCpu));
    }

    [Fact]
    public void MixingDevicesNamesBoth()
    {
        var a = torch.ones([2, 2]);
        var b = torch.ones([2, 2]).to(TorchCpu);
        var e = Assert.Throws<InvalidOperationException>(() => a.add(b));
        Assert.Equal("element-wise op: expected all tensors on one device, but found two: 'cpu' and 'torch-cpu'; move one with .to(device) first", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => torch.matmul(b, a));
        Assert.Contains("expected all tensors on one device, but found two: 'torch-cpu' and 'cpu'", e.Message);
        // A 0-dim cpu tensor mixes with any device, as in PyTorch.
        Assert.Equal(TorchCpu, b.add(torch.scalar_tensor(1.0)).device);
        Assert.Equal(TorchCpu, b.mul(3.0).device);
    }

    [Fact]
    public void CudaWithoutACudaLibTorchNamesThePackage()
    {
        EnsureRegistered();
        Assert.False(torch.cuda_is_available());
        var e = Assert.Throws<NotSupportedException>(() => torch.ones([2]).to(Device.Parse("cuda")));
        Assert.Contains("needs LibTorch with CUDA, but this process loaded LibTorch for CPU (package TorchSharp-cpu)", e.Message);
        Assert.Contains("reference the package TorchSharp-cuda-linux (version 0.107.0", e.Message);
        e = Assert.Throws<NotSupportedException>(() => torch.set_default_device(Device.Parse("cuda:0")));
        Assert.Contains("TorchSharp-cuda-linux", e.Message);
    }

    [Fact]
    public void DefaultDeviceMakesFactoriesAndRandomValuesLandThere()
    {
        var cpuValues = torch.randn([5], ScalarType.Float32, new Generator(7)).data<float>();
        torch.set_default_device(TorchCpu);
        var r = torch.randn([5], ScalarType.Float32, new Generator(7));
        Assert.Equal(TorchCpu, r.device);
        Assert.Equal(cpuValues, r.data<float>());
        Assert.Equal(TorchCpu, torch.zeros(2, 3).device);
        Assert.Equal(TorchCpu, torch.arange(4).device);
        Assert.Equal(TorchCpu, torch.tensor(new long[] { 1, 2 }).device);
        Assert.Equal(TorchCpu, torch.zeros_like(r).device);
    }

    [Fact]
    public void TorchStorageIsReleasedByDispose()
    {
        var t = torch.ones([1024]).to(TorchCpu);
        var s = Assert.IsType<TorchStorage>(t.Storage);
        Assert.Equal(1024, s.Length);
        s.Dispose();
        Assert.ThrowsAny<Exception>(() => t.data<float>());
        Assert.Equal(TorchCpu, BackendRegistry.Get(TorchCpu).Allocate(ScalarType.Float64, 3, zeroed: true).Device);
    }
}
