// The ELF version-table editor on a synthetic ELF64 image and on the libstdc++ of this machine.
using System.Buffers.Binary;
using System.Text;
using PluginMoE.Tensors.Torch.Native;

namespace PluginMoE.Tensors.Torch.Tests;

public class ElfVersionTableTests
{
    /// <summary>An ELF64 image with a .dynstr and a .gnu.version_r requiring two versions of libstdc++.so.6.</summary>
    private static byte[] SyntheticLibrary()
    {
        var strtab = Encoding.ASCII.GetBytes("\0libstdc++.so.6\0GLIBCXX_3.4.32\0GLIBCXX_3.4.18\0");
        int strOff = 64, needOff = strOff + strtab.Length + 2, shOff = needOff + 48;
        var img = new byte[shOff + 3 * 64];
        "\x7f"u8.CopyTo(img); "ELF"u8.CopyTo(img.AsSpan(1)); img[4] = 2; img[5] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(img.AsSpan(0x28), (ulong)shOff);
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(img.AsSpan(0x3C), 3);
        strtab.CopyTo(img, strOff);
        var n = img.AsSpan(needOff);
        BinaryPrimitives.WriteUInt16LittleEndian(n, 1);           // vn_version
        BinaryPrimitives.WriteUInt16LittleEndian(n[2..], 2);      // vn_cnt
        BinaryPrimitives.WriteUInt32LittleEndian(n[4..], 1);      // vn_file -> "libstdc++.so.6"
        BinaryPrimitives.WriteUInt32LittleEndian(n[8..], 16);     // vn_aux
        BinaryPrimitives.WriteUInt32LittleEndian(n[24..], 16);    // aux 1: vna_name -> GLIBCXX_3.4.32
        BinaryPrimitives.WriteUInt32LittleEndian(n[28..], 16);    // aux 1: vna_next
        BinaryPrimitives.WriteUInt32LittleEndian(n[40..], 31);    // aux 2: vna_name -> GLIBCXX_3.4.18
        var s1 = img.AsSpan(shOff + 64);                          // section 1: .dynstr
        BinaryPrimitives.WriteUInt32LittleEndian(s1[4..], 3);
        BinaryPrimitives.WriteUInt64LittleEndian(s1[24..], (ulong)strOff);
        var s2 = img.AsSpan(shOff + 128);                         // section 2: .gnu.version_r
        BinaryPrimitives.WriteUInt32LittleEndian(s2[4..], 0x6ffffffe);
        BinaryPrimitives.WriteUInt64LittleEndian(s2[24..], (ulong)needOff);
        BinaryPrimitives.WriteUInt32LittleEndian(s2[40..], 1);    // sh_link -> .dynstr
        BinaryPrimitives.WriteUInt32LittleEndian(s2[44..], 1);    // sh_info: one Verneed
        return img;
    }

    [Fact]
    public void ReadsRequirementsAndMarksOnlyTheNamedVersionWeak()
    {
        var table = new ElfVersionTable(SyntheticLibrary(), "synthetic.so");
        Assert.Equal(["GLIBCXX_3.4.32", "GLIBCXX_3.4.18"], table.Needs.Select(n => n.Version));
        Assert.All(table.Needs, n => Assert.Equal("libstdc++.so.6", n.File));
        Assert.All(table.Needs, n => Assert.False(n.Weak));

        Assert.Equal(1, table.MarkWeak("GLIBCXX_3.4.32"));
        Assert.Equal(0, table.MarkWeak("GLIBCXX_3.4.32"));
        var reread = new ElfVersionTable(table.Image, "synthetic.so");
        Assert.True(reread.Needs.Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
        Assert.False(reread.Needs.Single(n => n.Version == "GLIBCXX_3.4.18").Weak);
    }

    [Fact]
    public void RejectsFilesThatAreNotElf64()
    {
        var e = Assert.Throws<InvalidDataException>(() => new ElfVersionTable(new byte[100], "notes.txt"));
        Assert.Equal("notes.txt: not an ELF file", e.Message);
    }

    [Fact]
    public void PatchesACopyAndRefusesTheNuGetCache()
    {
        string dir = Directory.CreateTempSubdirectory("pluginmoe-elf").FullName;
        try
        {
            string lib = Path.Combine(dir, "libLibTorchSharp.so");
            File.WriteAllBytes(lib, SyntheticLibrary());
            string status = TorchNativeLoader.PatchBridge(lib, "/lib/libstdc++.so.6");
            Assert.Contains("marked the GLIBCXX_3.4.32 requirement weak", status);
            Assert.True(ElfVersionTable.Load(lib).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
            Assert.Contains("already weak", TorchNativeLoader.PatchBridge(lib, "/lib/libstdc++.so.6"));

            string cache = Path.Combine(dir, ".nuget", "packages", "torchsharp");
            Directory.CreateDirectory(cache);
            string cached = Path.Combine(cache, "libLibTorchSharp.so");
            File.WriteAllBytes(cached, SyntheticLibrary());
            var e = Assert.Throws<InvalidOperationException>(() => TorchNativeLoader.PatchBridge(cached, "/lib/libstdc++.so.6"));
            Assert.Contains("NuGet package cache, which PluginMoE does not modify", e.Message);
            Assert.False(ElfVersionTable.Load(cached).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ReadsTheVersionsThisMachinesLibStdCxxDefines()
    {
        string? path = TorchNativeLoader.FindLoadedLibStdCxx();
        Assert.NotNull(path);
        var defs = ElfVersionTable.Load(path).Definitions;
        Assert.Contains("GLIBCXX_3.4", defs);
        Assert.Contains("CXXABI_1.3", defs);
    }
}
