// CRC-32 (ISO-HDLC, the polynomial of gzip's member trailer, RFC 1952 section 8), table-driven, incremental.
namespace PluginMoE.Plugins.Datasets;

/// <summary>The CRC-32 that a gzip member's trailer records of its uncompressed data.</summary>
internal struct Crc32
{
    private static readonly uint[] Table = BuildTable();
    private uint _state;

    public Crc32() => _state = 0xFFFFFFFFu;

    /// <summary>The checksum of every byte appended so far.</summary>
    public readonly uint Value => ~_state;

    public void Append(ReadOnlySpan<byte> data)
    {
        uint c = _state;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        _state = c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
