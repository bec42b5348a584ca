// Per-thread scratch memory for GEMM: 64-byte aligned, pinned, reused across calls and grown on demand.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PluginMoE.Tensors.Backends;

/// <summary>Packing and tile buffers of the calling thread (freed with the thread by the GC).</summary>
internal sealed class GemmBuffers
{
    [ThreadStatic] private static GemmBuffers? _current;

    private byte[]? _a, _b, _tile, _row, _shared;

    /// <summary>The calling thread's buffers.</summary>
    public static GemmBuffers ForThisThread => _current ??= new GemmBuffers();

    /// <summary>At least <paramref name="bytes"/> for packed A blocks.</summary>
    public nint PackA(int bytes) => Get(ref _a, bytes);

    /// <summary>At least <paramref name="bytes"/> for packed B panels.</summary>
    public nint PackB(int bytes) => Get(ref _b, bytes);

    /// <summary>At least <paramref name="bytes"/> for a whole operand packed once and read by every thread of one product.</summary>
    public nint Shared(int bytes) => Get(ref _shared, bytes);

    /// <summary>At least <paramref name="bytes"/> for one register tile.</summary>
    public nint Tile(int bytes) => Get(ref _tile, bytes);

    /// <summary>At least <paramref name="bytes"/> for one accumulator row (direct path).</summary>
    public nint Row(int bytes) => Get(ref _row, bytes);

    private static unsafe nint Get(ref byte[]? buffer, int bytes)
    {
        if (buffer is null || buffer.Length < bytes + 64)
            buffer = GC.AllocateUninitializedArray<byte>(Math.Max(bytes, 4096) + 64, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (p + 63) & ~(nint)63;
    }
}
