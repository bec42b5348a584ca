// Atomic saves: a failed save leaves an existing checkpoint untouched and no temp file behind; a reader that
// has the old file open keeps seeing it after a replace.
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.Tests.Serialization.SafeTensorsTestFiles;

namespace PluginMoE.Tensors.Tests.Serialization;

public sealed class SafeTensorsAtomicWriteTests : IDisposable
{
    private readonly ScratchFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static Dictionary<string, Tensor> Model(float v) => new() { ["w"] = torch.full([4, 4], v), ["b"] = torch.full([4], v) };

    private string SaveOriginal()
    {
        var path = _tmp.File("model.safetensors");
        SafeTensors.Save(path, Model(1));
        return path;
    }

    [Fact]
    public void Save_OverAnExistingFile_ReplacesItAndLeavesNoTempFile()
    {
        var path = SaveOriginal();
        SafeTensors.Save(path, Model(2));
        Assert.Equal(2f, SafeTensors.Load(path)["w"].data<float>()[0]);
        Assert.Empty(_tmp.Others("model.safetensors"));
    }

    [Fact]
    public void Write_FailingMidway_LeavesExistingFileUntouchedAndNoTempFile()
    {
        var path = SaveOriginal();
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            SafeTensors.Write(s, Model(3)); // a full new checkpoint reaches the temp file...
            throw new IOException("disk full (simulated)"); // ...then the write fails before the rename
        }));
        Assert.Equal("disk full (simulated)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(_tmp.Others("model.safetensors"));
    }

    [Fact]
    public void Save_WhenTheTensorSequenceThrows_LeavesExistingFileUntouched()
    {
        var path = SaveOriginal();
        var before = File.ReadAllBytes(path);
        static IEnumerable<KeyValuePair<string, Tensor>> Broken()
        {
            yield return KeyValuePair.Create("w", torch.ones(2));
            throw new InvalidOperationException("parameter enumeration failed");
        }
        Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, Broken()));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(_tmp.Others("model.safetensors"));
    }

    [Fact]
    public void Save_OntoAFolder_ThrowsAndLeavesNoTempFile()
    {
        Directory.CreateDirectory(_tmp.File("ckpt"));
        var e = Assert.Throws<IOException>(() => SafeTensors.Save(_tmp.File("ckpt"), Model(1)));
        Assert.Contains("a folder of that name exists", e.Message);
        Assert.Equal(new[] { "ckpt" }, _tmp.Others());
    }

    [Fact]
    public void Save_IntoAReadOnlyFolder_ThrowsAndLeavesExistingFileUntouched()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = SaveOriginal();
        var before = File.ReadAllBytes(path);
        var mode = File.GetUnixFileMode(_tmp.Dir);
        File.SetUnixFileMode(_tmp.Dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            // Root ignores folder permissions; then there is nothing to check here.
            var probe = _tmp.File("probe");
            try { File.WriteAllBytes(probe, []); File.Delete(probe); return; }
            catch (UnauthorizedAccessException) { }
            Assert.Throws<UnauthorizedAccessException>(() => SafeTensors.Save(path, Model(2)));
        }
        finally { File.SetUnixFileMode(_tmp.Dir, mode); }
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(_tmp.Others("model.safetensors"));
    }

    [Fact]
    public void Save_WhileAReaderHasTheOldFileOpen_ReaderKeepsSeeingTheOldData()
    {
        var path = SaveOriginal();
        using var reader = SafeTensorsFile.Open(path);
        SafeTensors.Save(path, Model(5));
        Assert.Equal(Bytes(torch.full([4, 4], 1f)), Bytes(reader.GetTensor("w")));
        Assert.Equal(5f, SafeTensors.Load(path)["w"].data<float>()[0]);
    }
}
