// A minimal PNG decoder for 8-bit RGB/RGBA non-interlaced images (what Chromium's screenshots are), enough to count
// the colours of a screenshot: chunks, zlib inflate of IDAT, and the five scanline filters.
using System.Buffers.Binary;
using System.IO.Compression;

namespace PluginMoE.Serve.Tests;

public sealed class PngImage
{
    private PngImage(int width, int height, int[] pixels) => (Width, Height, Pixels) = (width, height, pixels);

    public int Width { get; }

    public int Height { get; }

    /// <summary>0xRRGGBB per pixel, row-major.</summary>
    public int[] Pixels { get; }

    public int DistinctColours() => Pixels.Distinct().Count();

    public static PngImage Decode(byte[] png)
    {
        ReadOnlySpan<byte> signature = [137, 80, 78, 71, 13, 10, 26, 10];
        if (!png.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG");
        int width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0) throw new InvalidDataException($"unsupported PNG: bit depth {data[8]}, interlace {data[12]}");
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"unsupported PNG colour type {data[9]}") };
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
        int stride = width * channels;
        var raw = new byte[(stride + 1) * height];
        inflater.ReadExactly(raw);
        var previous = new byte[stride];
        var row = new byte[stride];
        var pixels = new int[width * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                row[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad PNG filter {filter}"),
                });
            }
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = row[x * channels] << 16 | row[x * channels + 1] << 8 | row[x * channels + 2];
            (previous, row) = (row, previous);
        }
        return new PngImage(width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
