// Tests of the opt-in ReadyToRun build (Directory.Build.targets, -p:PluginMoEReadyToRun=true; issue #12): the Tensors
// assembly is a precompiled (R2R) image exactly when the build opted in, and its code still picks the widest kernels the
// machine has (crossgen2 compiles for a baseline CPU; precompiled code that asks for a wider instruction set must be
// rejected and compiled by the JIT at run time). CI builds without R2R; run these with the property to check it.
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
    public void TensorsAssembly_IsAReadyToRunImage_ExactlyWhenTheBuildOptedIn()
    {
        var assembly = typeof(Tensor).Assembly;
        bool optedIn = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Any(a => a is { Key: "PluginMoE.ReadyToRun", Value: "true" });
        bool image = IsReadyToRunImage(assembly.Location);
        Assert.True(optedIn == image, optedIn
            ? $"{assembly.Location} was built with -p:PluginMoEReadyToRun=true but is not a ReadyToRun image (Directory.Build.targets)"
            : $"{assembly.Location} is a ReadyToRun image, but the build did not opt in (-p:PluginMoEReadyToRun=true)");
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
