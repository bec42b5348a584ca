// The environment the PyTorch reference runs in: OpenBLAS's best kernel for this CPU, as many OpenBLAS threads as the
// case's thread count, and sleeping idle OpenMP threads.
using System.Diagnostics;
using System.Runtime.Intrinsics.X86;

namespace PluginMoE.Bench;

/// <summary>Sets up a PyTorch reference process so that it runs at its best on this machine.</summary>
public static class ReferenceEnvironment
{
    /// <summary>
    /// The OpenBLAS core type for this CPU: Debian's OpenBLAS 0.3.21 does not know newer CPU models and falls back to
    /// its generic "Prescott" kernels (on this machine's Xeon, family 6 model 207: torch.matmul 29 GFLOP/s instead of
    /// 186 with SkylakeX), so the reference names the kernel family by the CPU's instruction sets. A user's own
    /// OPENBLAS_CORETYPE wins when PLUGINMOE_BENCH_KEEP_OPENBLAS_CORETYPE=1.
    /// </summary>
    public static string? OpenBlasCoreType() =>
        Avx512F.IsSupported && Avx512BW.IsSupported ? "SkylakeX" : Avx2.IsSupported && Fma.IsSupported ? "Haswell" : null;

    /// <summary>
    /// Applies the reference environment to <paramref name="psi"/> for a run on <paramref name="threads"/> threads.
    /// <c>torch.set_num_threads</c> sets OpenMP's (and MKL's) thread count but not OpenBLAS's: Debian's pthread OpenBLAS
    /// starts one thread per CPU, so without OPENBLAS_NUM_THREADS a "1 thread" PyTorch run does its GEMMs on every core
    /// (its CPU time per step was about twice its wall time). A user's own OPENBLAS_NUM_THREADS wins when
    /// PLUGINMOE_BENCH_KEEP_OPENBLAS_THREADS=1.
    /// </summary>
    public static void Apply(ProcessStartInfo psi, int threads)
    {
        ArgumentNullException.ThrowIfNull(psi);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (Environment.GetEnvironmentVariable("PLUGINMOE_BENCH_KEEP_OPENBLAS_THREADS") != "1")
            psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Environment.GetEnvironmentVariable("PLUGINMOE_BENCH_KEEP_OPENBLAS_CORETYPE") != "1")
        {
            psi.Environment.Remove("OPENBLAS_L2_SIZE");
            if (OpenBlasCoreType() is { } core) psi.Environment["OPENBLAS_CORETYPE"] = core;
            else psi.Environment.Remove("OPENBLAS_CORETYPE");
        }
        // On 2 cores PyTorch's idle OpenMP threads spin against its BLAS pool and halve its speed unless they sleep.
        psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
    }
}
