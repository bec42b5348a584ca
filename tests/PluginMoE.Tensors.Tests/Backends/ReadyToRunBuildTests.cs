// Tests of the ReadyToRun build (Directory.Build.targets, issue #12): a Release build's PluginMoE.Tensors is a
// precompiled (R2R) image, and its precompiled code still picks the widest kernels the machine has (crossgen2 compiles
// for a baseline CPU; code that asks for a wider instruction set must be rejected and compiled by the JIT at run time).
using System.Reflection.PortableExecutable;
using System.Runtime.Intrinsics.X86;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Tensors.Tests.Backends;

public class ReadyToRunBuildTests
{
    private static bool IsReadyToRunImage(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var cor = pe.PEHeaders.CorHeader ?? throw new InvalidOperationException($"{path} is not a .NET assembly");
        // An R2R image is flagged IL_LIBRARY and carries a managed native header (the IL stays in the image).
        return (cor.Flags & CorFlags.ILLibrary) != 0 && cor.ManagedNativeHeaderDirectory.Size > 0;
    }

    [Fact]
    public void TensorsAssembly_IsReadyToRunInRelease_ILOnlyInDebug()
    {
        var path = typeof(Tensor).Assembly.Location;
#if RELEASE
        Assert.True(IsReadyToRunImage(path), $"{path} is not a ReadyToRun image: the Release build should precompile it (Directory.Build.targets, PluginMoEReadyToRun)");
#else
        Assert.False(IsReadyToRunImage(path), $"{path} is a ReadyToRun image, but only Release builds precompile");
#endif
    }

    [Fact]
    public void ActiveGemmPath_IsTheWidestTheCpuSupports_InThePrecompiledImage()
    {
        var expected = Avx512F.IsSupported && Fma.IsSupported ? CpuBackend.GemmPath.Avx512
            : Avx2.IsSupported && Fma.IsSupported ? CpuBackend.GemmPath.Avx2
            : CpuBackend.GemmPath.Portable;
        Assert.Equal(expected, CpuBackend.ActiveGemmPath);
    }
}
