// Loader fix for TorchSharp's native bridge: the ELF version-table editor and a real load plus matmul from the build output.
using PluginMoE.Tensors.Torch.Native;
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch.Tests;

public class NativeLoaderTests
{
    [Fact]
    public void LibTorchLoadsFromTheBuildOutputAndMultiplies()
    {
        string status = TorchNativeLoader.EnsureLoaded();
        Assert.False(string.IsNullOrEmpty(status));
        using var a = TT.arange(0, 6, 1, TT.ScalarType.Float32).reshape(2, 3);
        using var b = TT.ones([3, 2], TT.ScalarType.Float32);
        using var c = TT.matmul(a, b);
        Assert.Equal(new[] { 3f, 3f, 12f, 12f }, c.data<float>().ToArray());
    }
}
