// Malformed and corrupt files: each problem gives a SafeTensorsFormatException whose message names the file,
// the tensor where one is involved, what is wrong and what was expected.
using System.Buffers.Binary;
using System.Text;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.Tests.Serialization.SafeTensorsTestFiles;

namespace PluginMoE.Tensors.Tests.Serialization;

public sealed class SafeTensorsCorruptFileTests : IDisposable
{
    private readonly ScratchFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>Writes the bytes to a file named after the case, opens it, and returns the error.</summary>
    private SafeTensorsFormatException OpenFails(string fileName, byte[] bytes)
    {
        var path = _tmp.File(fileName);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith($"safetensors file '{path}'", e.Message);
        return e;
    }

    private static byte[] Valid() => SafeTensors.Serialize(new Dictionary<string, Tensor>
    {
        ["weight"] = torch.ones([2, 3], ScalarType.Float32),
        ["bias"] = torch.ones([3], ScalarType.Float16),
    });

    [Fact]
    public void Open_FileShorterThanEightBytes_SaysItIsTooShort()
    {
        var e = OpenFails("short.safetensors", [1, 2, 3, 4, 5]);
        Assert.Contains("the file is 5 bytes long", e.Message);
        Assert.Contains("needs at least 8 bytes", e.Message);
        Assert.Null(e.TensorName);
        Assert.Contains("the file is 0 bytes long", OpenFails("empty.safetensors", []).Message);
    }

    [Fact]
    public void Open_FileCutInTheHeader_SaysTheHeaderRunsPastTheEnd()
    {
        var v = Valid();
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(v);
        var e = OpenFails("cut-header.safetensors", v[..(8 + (int)n / 2)]);
        Assert.Contains($"the header length in the first 8 bytes is {n}, but only {n / 2} bytes follow them", e.Message);
        Assert.Contains("the file is truncated", e.Message);
    }

    [Fact]
    public void Open_FileCutInTheData_NamesTheTensorThatRunsPastTheEnd()
    {
        var v = Valid();
        var e = OpenFails("cut-data.safetensors", v[..^3]);
        Assert.Equal("bias", e.TensorName); // F16 [3] is laid out last
        Assert.Contains("tensor 'bias': \"data_offsets\" [24, 30] ends past the end of the data buffer, which holds 27 bytes; the file is truncated", e.Message);
    }

    [Fact]
    public void Open_AbsurdHeaderLength_IsRejectedBeforeAnyAllocation()
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 60);
        var e = OpenFails("absurd.safetensors", bytes);
        Assert.Contains($"the header length in the first 8 bytes is {1UL << 60}, above the 100000000-byte limit", e.Message);
    }

    [Fact]
    public void Open_HeaderLengthPastEndOfFile_SaysHowManyBytesThereAre()
    {
        var bytes = new byte[50];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        var e = OpenFails("past-eof.safetensors", bytes);
        Assert.Contains("the header length in the first 8 bytes is 1000, but only 42 bytes follow them (the file is 50 bytes)", e.Message);
    }

    [Fact]
    public void GetTensor_BoolByteOtherThanZeroOrOne_IsRejected()
    {
        var bytes = Build(Encoding.UTF8.GetBytes("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}"), [1, 2, 0]);
        using var f = SafeTensorsFile.FromBytes(bytes, "mask.safetensors");
        var e = Assert.Throws<SafeTensorsFormatException>(() => f.GetTensor("m"));
        Assert.Equal("safetensors file 'mask.safetensors', tensor 'm': BOOL element 1 is byte 0x02; BOOL elements must be 0 or 1", e.Message);
    }

    [Fact]
    public void Open_InvalidUtf8Header_SaysSo()
    {
        var header = Encoding.UTF8.GetBytes("{\"a\":{}}").ToArray();
        header[2] = 0xFF;
        var e = OpenFails("utf8.safetensors", Build(header, []));
        Assert.Contains("the header is not valid UTF-8", e.Message);
    }

    public static TheoryData<string, string, int, string?, string> BadHeaders => new()
    {
        // case, header JSON, data bytes, tensor named, expected message fragment
        { "bad-json", "{\"w\": {\"dtype\": \"F32\"", 0, null, "the header is not valid JSON (" },
        { "not-object", "[1, 2]", 0, null, "the header is a JSON array; expected a JSON object mapping tensor names" },
        { "entry-not-object", "{\"w\": 3}", 0, "w", "the entry is a JSON number; expected an object with \"dtype\", \"shape\" and \"data_offsets\"" },
        { "unknown-dtype", "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w", "unknown dtype \"F33\"; expected one of BOOL, U8, I8" },
        { "dtype-not-string", "{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "w", "\"dtype\" is a JSON number; expected a string such as \"F32\"" },
        { "missing-shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "w", "the entry has no \"shape\"" },
        { "missing-offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "w", "the entry has no \"data_offsets\"" },
        { "negative-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", 16, "w", "shape[1] is -2; dimensions must be non-negative integers (shape [2,-2])" },
        { "fractional-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "w", "shape[0] is 2.5; dimensions must be non-negative integers" },
        { "string-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "w", "shape[0] is \"2\"; dimensions must be non-negative integers" },
        { "shape-overflow", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "w", "than a 64-bit byte count can hold" },
        { "offsets-one-number", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "w", "\"data_offsets\" is [4]; expected an array of two non-negative integers [begin, end]" },
        { "offsets-negative", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "w", "expected an array of two non-negative integers" },
        { "offsets-reversed", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "w", "\"data_offsets\" [4, 0] has begin > end" },
        { "offsets-past-end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[1000,1016]}}", 16, "w", "\"data_offsets\" [1000, 1016] ends past the end of the data buffer, which holds 16 bytes" },
        { "wrong-byte-length", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20, "w", "\"data_offsets\" [0, 20] span 20 bytes, but dtype F32 with shape [2, 3] needs 6 x 4 = 24 bytes" },
        { "overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24, "b", "its bytes [8, 24) overlap those of tensor 'a' [0, 16); each byte of the data buffer must belong to exactly one tensor" },
        { "aliased", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"I32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "b", "overlap those of tensor 'a'" },
        { "gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[20,36]}}", 36, "b", "its bytes start at data offset 20, leaving a gap of 4 bytes after offset 16; tensors must tile the data buffer exactly" },
        { "trailing-bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 20, null, "the tensors end at data offset 16, but the data buffer holds 20 bytes; 4 trailing bytes belong to no tensor" },
        { "duplicate-name", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "a", "the name appears twice in the header; each tensor name must be unique" },
        { "metadata-number", "{\"__metadata__\":{\"format\":\"pt\",\"epoch\":3},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, null, "\"__metadata__\" value for key 'epoch' is a JSON number; metadata values must be strings" },
        { "metadata-array", "{\"__metadata__\":[\"x\"]}", 0, null, "\"__metadata__\" is a JSON array; expected an object of string keys to string values" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Open_MalformedHeader_NamesFileTensorAndProblem(string caseName, string header, int dataBytes, string? tensor, string expected)
    {
        var e = OpenFails(caseName + ".safetensors", Build(header, dataBytes));
        Assert.Equal(tensor, e.TensorName);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}': ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void FromBytes_CorruptBuffer_NamesTheBufferInsteadOfAFile()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.FromBytes([0, 0]));
        Assert.StartsWith("safetensors file '<memory>': the file is 2 bytes long", e.Message);
        Assert.IsAssignableFrom<IOException>(e);
    }
}
