// GEMM cache-block sizes (GotoBLAS kc / mc / nc): the defaults, and the PLUGINMOE_GEMM_BLOCKING override that lets a
// quiet machine sweep them without a rebuild (README, Benchmarks).
using System.Globalization;

namespace PluginMoE.Tensors.Backends;

/// <summary>
/// Cache blocks of the packed GEMM path: <paramref name="Kc"/> elements of K per packed panel (this sets each output
/// element's summation order, so it is one value per process, never per thread), <paramref name="AKiB"/> KiB for the
/// packed A block (sets mc) and <paramref name="Nc"/> columns per packed B panel (rounded up to whole register tiles).
/// <paramref name="ReadsA"/>: whether the AVX-512 kernel reads full register panels of a row-major A in place instead of
/// packing them (bitwise the same results either way; <c>PLUGINMOE_GEMM_READ_A=0</c> turns it off for before/after runs).
/// It travels with the blocks because both are read once on the calling thread and handed to every worker of a product.
/// </summary>
internal readonly record struct GemmBlocks(int Kc, int AKiB, int Nc, bool ReadsA = true)
{
    /// <summary>Name of the environment variable read once per process.</summary>
    public const string EnvironmentVariable = "PLUGINMOE_GEMM_BLOCKING";

    /// <summary>Name of the variable that turns reading A in place off ("0"); read once per process.</summary>
    public const string ReadAVariable = "PLUGINMOE_GEMM_READ_A";

    /// <summary>kc 256, 480 KiB of A, nc 2048.</summary>
    public static readonly GemmBlocks Default = new(256, 480, 2048);

    private static readonly Lazy<GemmBlocks> FromEnv = new(() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable)) with
    {
        ReadsA = Environment.GetEnvironmentVariable(ReadAVariable) != "0",
    });

    /// <summary>The blocks named by <c>PLUGINMOE_GEMM_BLOCKING</c>, or <see cref="Default"/> when it is unset or empty (and <c>PLUGINMOE_GEMM_READ_A</c>).</summary>
    public static GemmBlocks FromEnvironment => FromEnv.Value;

    /// <summary>Parses "kc,aKiB,nc" (e.g. "256,480,2048"); null or blank gives <see cref="Default"/>.</summary>
    public static GemmBlocks Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Default;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int kc) && kc is >= 8 and <= 2048
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int a) && a is >= 1 and <= 16384
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int nc) && nc is >= 1 and <= 16384)
            return new GemmBlocks(kc, a, nc);
        throw new ArgumentException(
            $"{EnvironmentVariable}='{text}' is not valid: give kc,aKiB,nc as three integers (kc 8-2048, A block 1-16384 KiB, " +
            $"nc 1-16384), e.g. {Default.Kc},{Default.AKiB},{Default.Nc} (the defaults), or unset it");
    }
}
