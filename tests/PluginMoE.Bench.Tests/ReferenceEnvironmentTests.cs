// The PyTorch reference's environment (bench/PluginMoE.Bench/ReferenceEnvironment.cs): OpenBLAS runs on the case's
// thread count, idle OpenMP threads sleep.
using System.Diagnostics;

namespace PluginMoE.Bench.Tests;

public class ReferenceEnvironmentTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Apply_gives_OpenBLAS_the_case_thread_count_and_passive_OpenMP(int threads)
    {
        if (Environment.GetEnvironmentVariable("PLUGINMOE_BENCH_KEEP_OPENBLAS_THREADS") == "1") return; // the user's own count wins
        var psi = new ProcessStartInfo("python3");
        psi.Environment["OPENBLAS_NUM_THREADS"] = "64";
        ReferenceEnvironment.Apply(psi, threads);
        Assert.Equal(threads.ToString(System.Globalization.CultureInfo.InvariantCulture), psi.Environment["OPENBLAS_NUM_THREADS"]);
        Assert.Equal("PASSIVE", psi.Environment["OMP_WAIT_POLICY"]);
    }

    [Fact]
    public void Apply_refuses_a_thread_count_below_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceEnvironment.Apply(new ProcessStartInfo("python3"), 0));
}
