// A minimal ELF64 (little-endian) reader/editor for the GNU symbol-versioning sections: lists the version
// definitions (.gnu.version_d) a library provides and the version requirements (.gnu.version_r) it makes, and
// marks a requirement weak (VER_FLG_WEAK) in place, which is how the LibTorch bridge is made loadable on
// distributions whose libstdc++ predates GCC 13 (see TorchNativeLoader). Layouts follow the System V gABI and
// the LSB "Symbol Versioning" chapter.
using System.Buffers.Binary;
using System.Text;

namespace PluginMoE.Tensors.Torch.Native;

/// <summary>One entry of <c>.gnu.version_r</c>: a version that a library requires from one of its dependencies.</summary>
/// <param name="File">The dependency (e.g. <c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (e.g. <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Weak">Whether the requirement is weak (a missing version does not stop the load).</param>
/// <param name="FlagsOffset">File offset of the entry's 16-bit <c>vna_flags</c> field.</param>
public sealed record ElfVersionNeed(string File, string Version, bool Weak, long FlagsOffset);

/// <summary>Reads and edits the symbol-version tables of an ELF64 little-endian shared library held in memory.</summary>
public sealed class ElfVersionTable
{
    /// <summary>The <c>VER_FLG_WEAK</c> flag of a version requirement.</summary>
    public const ushort VerFlagWeak = 0x2;

    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    private readonly byte[] _image;
    private readonly string _name;

    /// <summary>Parses <paramref name="image"/> (the whole file).</summary>
    /// <param name="image">The file's bytes; <see cref="MarkWeak"/> edits them in place.</param>
    /// <param name="name">The file's path, used in error messages.</param>
    /// <exception cref="InvalidDataException">Not an ELF64 little-endian file, or its version sections are malformed.</exception>
    public ElfVersionTable(byte[] image, string name)
    {
        _image = image ?? throw new ArgumentNullException(nameof(image));
        _name = name;
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new InvalidDataException($"{name}: not an ELF file");
        if (image[4] != 2 || image[5] != 1)
            throw new InvalidDataException($"{name}: only 64-bit little-endian ELF files are supported (class {image[4]}, data {image[5]})");
        Needs = ReadNeeds();
        Definitions = ReadDefinitions();
    }

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static ElfVersionTable Load(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>The file's bytes (edited by <see cref="MarkWeak"/>).</summary>
    public byte[] Image => _image;

    /// <summary>Every version requirement, in file order.</summary>
    public IReadOnlyList<ElfVersionNeed> Needs { get; private set; }

    /// <summary>The names of the versions the file defines (for <c>libstdc++.so.6</c>: <c>GLIBCXX_3.4</c> ... ).</summary>
    public IReadOnlyList<string> Definitions { get; }

    /// <summary>
    /// Sets <see cref="VerFlagWeak"/> on every requirement of <paramref name="version"/>; returns how many entries
    /// changed (0 when they were already weak or the file does not require that version).
    /// </summary>
    public int MarkWeak(string version)
    {
        int changed = 0;
        foreach (var need in Needs)
        {
            if (need.Version != version || need.Weak) continue;
            var span = _image.AsSpan((int)need.FlagsOffset, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span) | VerFlagWeak));
            changed++;
        }
        if (changed > 0) Needs = ReadNeeds();
        return changed;
    }

    private List<ElfVersionNeed> ReadNeeds()
    {
        var result = new List<ElfVersionNeed>();
        foreach (var (offset, count, strtab) in Sections(ShtGnuVerneed))
        {
            long vn = offset;
            for (uint i = 0; i < count; i++)
            {
                ushort cnt = U16(vn + 2);
                string file = Str(strtab, U32(vn + 4));
                long vna = vn + U32(vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    ushort flags = U16(vna + 4);
                    result.Add(new ElfVersionNeed(file, Str(strtab, U32(vna + 8)), (flags & VerFlagWeak) != 0, vna + 4));
                    uint next = U32(vna + 12);
                    if (next == 0) break;
                    vna += next;
                }
                uint vnNext = U32(vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return result;
    }

    private List<string> ReadDefinitions()
    {
        var result = new List<string>();
        foreach (var (offset, count, strtab) in Sections(ShtGnuVerdef))
        {
            long vd = offset;
            for (uint i = 0; i < count; i++)
            {
                ushort flags = U16(vd + 2);
                long vda = vd + U32(vd + 12);
                if ((flags & 0x1) == 0) result.Add(Str(strtab, U32(vda))); // VER_FLG_BASE names the file itself
                uint next = U32(vd + 16);
                if (next == 0) break;
                vd += next;
            }
        }
        return result;
    }

    /// <summary>(offset, entry count from sh_info, linked string table offset) of every section of a type.</summary>
    private IEnumerable<(long Offset, uint Count, long StrTab)> Sections(uint type)
    {
        long shoff = (long)U64(0x28);
        ushort shentsize = U16(0x3A), shnum = U16(0x3C);
        if (shoff == 0 || shnum == 0)
            throw new InvalidDataException($"{_name}: the file has no section headers, so its version tables cannot be located");
        if (shentsize < 64) throw new InvalidDataException($"{_name}: section header entries of {shentsize} bytes (expected 64)");
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(sh + 4) != type) continue;
            uint link = U32(sh + 40);
            if (link >= shnum) throw new InvalidDataException($"{_name}: section {i} links to string table {link} of {shnum}");
            long strtab = (long)U64(shoff + (long)link * shentsize + 24);
            yield return ((long)U64(sh + 24), U32(sh + 44), strtab);
        }
    }

    private void Check(long at, int size)
    {
        if (at < 0 || at + size > _image.Length)
            throw new InvalidDataException($"{_name}: truncated or malformed ELF (read of {size} bytes at offset {at} past the end, {_image.Length} bytes)");
    }

    private ushort U16(long at) { Check(at, 2); return BinaryPrimitives.ReadUInt16LittleEndian(_image.AsSpan((int)at)); }

    private uint U32(long at) { Check(at, 4); return BinaryPrimitives.ReadUInt32LittleEndian(_image.AsSpan((int)at)); }

    private ulong U64(long at) { Check(at, 8); return BinaryPrimitives.ReadUInt64LittleEndian(_image.AsSpan((int)at)); }

    private string Str(long table, uint index)
    {
        long start = table + index;
        Check(start, 1);
        int end = Array.IndexOf(_image, (byte)0, (int)start);
        if (end < 0) throw new InvalidDataException($"{_name}: unterminated string at offset {start}");
        return Encoding.ASCII.GetString(_image, (int)start, end - (int)start);
    }
}
