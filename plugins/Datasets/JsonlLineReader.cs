// Reads a JSON Lines file as lines of raw UTF-8 bytes, bounded in memory: a line longer than the limit is
// passed over (its length and position reported), never held. Lines end at '\n'; a '\r' before it is dropped;
// a UTF-8 byte order mark at the start of the file is skipped. For gzip input (RFC 1952) it checks, at the end,
// the member trailer's CRC-32 and length against what was decompressed, since .NET's GZipStream ends silently on
// a truncated file.
using System.Buffers;

namespace PluginMoE.Plugins.Datasets;

/// <summary>One line of a JSON Lines file: its bytes (without the line end), number and position.</summary>
internal readonly record struct JsonlLine(ReadOnlyMemory<byte> Bytes, long Number, long Offset, long Length, bool TooLong);

/// <summary>Splits a (possibly decompressed) stream into lines of bytes, at most <c>maxLineBytes</c> each kept.</summary>
internal sealed class JsonlLineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly string _file;
    private readonly bool _gzip;
    private readonly int _maxLineBytes;
    private readonly byte[] _chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
    private byte[] _line = ArrayPool<byte>.Shared.Rent(1 << 12);
    private int _chunkPos, _chunkEnd;
    private long _consumed; // bytes of the (decompressed) stream handed out as lines so far, line ends included
    private long _lineNumber;
    private long _decompressed; // bytes the gzip stream has produced (for the trailer check)
    private bool _eof, _bomChecked;
    private Crc32 _crc = new();

    /// <param name="file">The file, named in errors; for gzip its last 8 bytes are read again for the trailer check.</param>
    /// <param name="maxLineBytes">Lines longer than this are reported as too long and not kept.</param>
    public JsonlLineReader(string file, int maxLineBytes)
    {
        _file = file;
        _maxLineBytes = maxLineBytes;
        _stream = JsonlLoader.OpenMaybeGzip(file);
        _gzip = _stream is System.IO.Compression.GZipStream;
    }

    /// <summary>True for gzip input (offsets are then positions in the decompressed data).</summary>
    public bool IsGzip => _gzip;

    /// <summary>The next line, or false at the end of the data.</summary>
    /// <exception cref="InvalidDataException">The gzip data is corrupt or truncated (the message names the file and the line reached).</exception>
    public bool Next(out JsonlLine line)
    {
        long start = _consumed;
        int kept = 0;
        long length = 0;
        bool tooLong = false;
        while (true)
        {
            if (_chunkPos == _chunkEnd && !Fill())
            {
                if (length == 0) { line = default; return false; }
                break; // a last line without '\n'
            }
            var available = _chunk.AsSpan(_chunkPos, _chunkEnd - _chunkPos);
            int nl = available.IndexOf((byte)'\n');
            var piece = nl >= 0 ? available[..nl] : available;
            length += piece.Length;
            _consumed += piece.Length + (nl >= 0 ? 1 : 0);
            _chunkPos += piece.Length + (nl >= 0 ? 1 : 0);
            if (!tooLong)
            {
                if ((long)kept + piece.Length > _maxLineBytes) tooLong = true;
                else
                {
                    EnsureLineCapacity(kept + piece.Length);
                    piece.CopyTo(_line.AsSpan(kept));
                    kept += piece.Length;
                }
            }
            if (nl >= 0) break;
        }
        _lineNumber++;
        if (!tooLong && kept > 0 && _line[kept - 1] == (byte)'\r') kept--;
        line = new JsonlLine(tooLong ? ReadOnlyMemory<byte>.Empty : _line.AsMemory(0, kept), _lineNumber, start, length, tooLong);
        return true;
    }

    private void EnsureLineCapacity(int needed)
    {
        if (needed <= _line.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, (int)Math.Min((long)_line.Length * 2, int.MaxValue)));
        _line.AsSpan().CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_line);
        _line = bigger;
    }

    private bool Fill()
    {
        if (_eof) return false;
        int n;
        try { n = _stream.Read(_chunk, 0, _chunk.Length); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"jsonl: {_file}: the gzip data is corrupt after line {_lineNumber} (after {_decompressed} decompressed bytes): " +
                $"{e.Message} The documents before that line were read; re-download or re-compress the file (gzip -t checks it).", e);
        }
        if (n == 0)
        {
            _eof = true;
            if (_gzip) CheckGzipTrailer();
            return false;
        }
        _chunkPos = 0;
        _chunkEnd = n;
        if (!_bomChecked)
        {
            _bomChecked = true;
            // Fill may return fewer than 3 bytes; a BOM split over reads is not expected from file or gzip streams of this size.
            if (_chunk.AsSpan(0, n).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { _chunkPos = 3; _consumed = 3; }
        }
        if (_gzip) { _crc.Append(_chunk.AsSpan(0, n)); _decompressed += n; }
        return true;
    }

    private void CheckGzipTrailer()
    {
        Span<byte> trailer = stackalloc byte[8];
        long compressedLength;
        using (var raw = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            compressedLength = raw.Length;
            if (compressedLength < 18) { Truncated(compressedLength, "it is shorter than a gzip header and trailer"); return; }
            raw.Position = compressedLength - 8;
            raw.ReadExactly(trailer);
        }
        uint crc = BitConverter.ToUInt32(trailer[..4]);
        uint size = BitConverter.ToUInt32(trailer[4..]);
        if (crc != _crc.Value || size != (uint)_decompressed)
            Truncated(compressedLength,
                $"its trailer records {size} bytes with CRC-32 {crc:x8}, but {_decompressed} bytes with CRC-32 {_crc.Value:x8} were decompressed");
    }

    private void Truncated(long compressedLength, string why) =>
        throw new InvalidDataException(
            $"jsonl: {_file}: the gzip data is truncated or corrupt ({compressedLength} bytes compressed; {why}); the data ends at line " +
            $"{_lineNumber + 1}. Re-download or re-compress the file (gzip -t checks it). A file of several concatenated gzip members " +
            "(bgzip, cat a.gz b.gz) is read as one only when it is recompressed as a single member: zcat f.gz | gzip > g.gz");

    public void Dispose()
    {
        _stream.Dispose();
        ArrayPool<byte>.Shared.Return(_chunk);
        ArrayPool<byte>.Shared.Return(_line);
    }
}
