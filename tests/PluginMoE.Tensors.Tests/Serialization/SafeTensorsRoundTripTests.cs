// Round trips through SafeTensors.Save / SafeTensorsFile: bitwise for every dtype, any layout, with metadata.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.Tests.Serialization.SafeTensorsTestFiles;

namespace PluginMoE.Tensors.Tests.Serialization;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly ScratchFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static Dictionary<string, Tensor> EveryDType() => new()
    {
        // NaN payloads (signalling, negative, quiet with payload), infinities, -0.0, subnormals, extremes.
        ["f32"] = F32Bits(0x7FA00001, 0xFFC00000, 0x7F800000, 0xFF800000, 0x80000000, 0x00000001, 0x7F7FFFFF, 0x3F800000).view(2, 4),
        ["f64"] = F64Bits(0x7FF0000000000001, 0xFFF8000000000123, 0x7FF0000000000000, 0x8000000000000000, 1, 0x400921FB54442D18),
        ["f16"] = F16Bits(0x7C01, 0xFE00, 0x7C00, 0x8000, 0x0001, 0x7BFF, 0x3C00),
        ["bf16"] = BF16Bits(0x7F81, 0xFFC1, 0x7F80, 0x8000, 0x0001, 0x3F80),
        ["i64"] = torch.tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }, [2, 2]),
        ["i32"] = torch.tensor(new[] { int.MinValue, -7, 0, int.MaxValue }),
        ["bool"] = torch.tensor(new[] { true, false, true, true, false }),
    };

    [Fact]
    public void SaveThenLoad_EveryDType_IsBitwiseIdentical()
    {
        var src = EveryDType();
        var path = _tmp.File("all.safetensors");
        SafeTensors.Save(path, src);
        var back = SafeTensors.Load(path);
        Assert.Equal(src.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in src)
        {
            Assert.Equal(t.dtype, back[name].dtype);
            Assert.Equal(t.shape, back[name].shape);
            Assert.Equal(Bytes(t), Bytes(back[name]));
        }
    }

    [Fact]
    public void Save_NonContiguousViews_WritesThemInRowMajorOrder()
    {
        var a = torch.arange(24).reshape(2, 3, 4).to(ScalarType.Float64);
        var views = new Dictionary<string, Tensor>
        {
            ["transposed"] = a.transpose(0, 2),                        // (4, 3, 2)
            ["permuted"] = a.permute(1, 2, 0),                         // (3, 4, 2)
            ["narrowed"] = a.narrow(2, 1, 2),                          // (2, 3, 2)
            ["stepped"] = a.slice(1, 0, 3, 2),                         // (2, 2, 4)
            ["expanded"] = torch.tensor(new[] { 1, 2, 3 }).expand(2, 3), // stride 0
            ["selected_bf16"] = a.to(ScalarType.BFloat16).select(1, 1).t(),
        };
        Assert.All(views.Values.Take(5), v => Assert.False(v.is_contiguous()));
        var back = SafeTensors.Deserialize(SafeTensors.Serialize(views));
        foreach (var (name, v) in views)
        {
            Assert.Equal(v.shape, back[name].shape);
            Assert.Equal(Bytes(v.contiguous()), Bytes(back[name]));
        }
    }

    [Fact]
    public void SaveThenLoad_ZeroDimAndEmptyTensors_KeepShapes()
    {
        var src = new Dictionary<string, Tensor>
        {
            ["scalar"] = torch.scalar_tensor(-3.5, ScalarType.Float64),
            ["scalar_i64"] = torch.scalar_tensor(7, ScalarType.Int64),
            ["empty"] = torch.zeros([0, 3], ScalarType.Float32),
            ["empty_mid"] = torch.zeros([3, 0, 2], ScalarType.Int32),
            ["empty_1d"] = torch.zeros([0], ScalarType.BFloat16),
        };
        var path = _tmp.File("shapes.safetensors");
        SafeTensors.Save(path, src);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(Array.Empty<long>(), f.GetInfo("scalar").Shape);
        Assert.Equal(1, f.GetInfo("scalar").Numel);
        Assert.Equal(0, f.GetInfo("empty_mid").ByteLength);
        foreach (var (name, t) in src)
        {
            var r = f.GetTensor(name);
            Assert.Equal(t.shape, r.shape);
            Assert.Equal(Bytes(t), Bytes(r));
        }
        Assert.Equal(-3.5, f.GetTensor("scalar").item<double>());
    }

    [Fact]
    public void SaveThenOpen_Metadata_RoundTripsIncludingUnicodeAndEmptyValues()
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode ✓ \"quoted\"\n", ["empty"] = "" };
        var path = _tmp.File("meta.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = torch.ones(2) }, meta);
        Assert.Equal(meta.OrderBy(kv => kv.Key), SafeTensors.LoadMetadata(path).OrderBy(kv => kv.Key));

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = torch.ones(2) });
        Assert.Empty(SafeTensors.LoadMetadata(path));
    }

    [Fact]
    public void Save_HeaderAndLayout_FollowTheReferenceWriter()
    {
        var src = new Dictionary<string, Tensor>
        {
            ["z_bool"] = torch.tensor(new[] { true, false, true }),
            ["a_f16"] = torch.ones([3], ScalarType.Float16),
            ["m_f32"] = torch.ones(3),
            ["b_f32"] = torch.ones(1),
            ["c_f64"] = torch.ones([1], ScalarType.Float64),
            ["d_i64"] = torch.ones([1], ScalarType.Int64),
            ["e_i32"] = torch.ones([1], ScalarType.Int32),
        };
        var bytes = SafeTensors.Serialize(src, new Dictionary<string, string> { ["k"] = "v" });
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},\"d_i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}", header);
        Assert.Matches("^\\{.*\\} *$", header); // compact JSON, then space padding
        using var doc = JsonDocument.Parse(header); // padding is plain JSON whitespace

        using var f = SafeTensorsFile.FromBytes(bytes);
        Assert.Equal(new[] { "d_i64", "c_f64", "b_f32", "m_f32", "e_i32", "a_f16", "z_bool" }, f.Names);
        Assert.All(f.Tensors, t => Assert.Equal(0, t.FileOffset % t.DType.ElementSize()));
        Assert.Equal(bytes.Length, f.DataStart + f.Tensors[^1].DataEnd);
    }

    [Fact]
    public void Serialize_EqualsTheBytesSaveWrites()
    {
        var src = EveryDType();
        var path = _tmp.File("same.safetensors");
        SafeTensors.Save(path, src);
        Assert.Equal(File.ReadAllBytes(path), SafeTensors.Serialize(src));
        using var ms = new MemoryStream();
        SafeTensors.Write(ms, src);
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
    }

    [Fact]
    public void Save_WithFloatDType_StoresFloatTensorsConvertedAndIntegersAsTheyAre()
    {
        var w = torch.randn([3, 4], ScalarType.Float32, new Generator(5));
        var d = torch.randn([5], ScalarType.Float64, new Generator(6));
        var ids = torch.tensor(new long[] { 1, 2, 3 });
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = w, ["d"] = d, ["ids"] = ids }, floatDType: ScalarType.BFloat16);
        using var f = SafeTensorsFile.FromBytes(bytes);
        Assert.Equal(SafeTensorsDType.BF16, f.GetInfo("w").DType);
        Assert.Equal(SafeTensorsDType.BF16, f.GetInfo("d").DType);
        Assert.Equal(SafeTensorsDType.I64, f.GetInfo("ids").DType);
        Assert.Equal(Bytes(w.to(ScalarType.BFloat16)), Bytes(f.GetTensor("w")));
        Assert.Equal(Bytes(d.to(ScalarType.BFloat16)), Bytes(f.GetTensor("d")));
        Assert.Equal(new long[] { 1, 2, 3 }, f.GetTensor("ids").data<long>());
        // GetTensor(dtype) widens on load.
        var w32 = f.GetTensor("w", ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, w32.dtype);
        Assert.Equal(Bytes(w.to(ScalarType.BFloat16).to(ScalarType.Float32)), Bytes(w32));

        using var f16 = SafeTensorsFile.FromBytes(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = w }, floatDType: ScalarType.Float16));
        Assert.Equal(Bytes(w.to(ScalarType.Float16)), Bytes(f16.GetTensor("w")));
    }

    [Fact]
    public void Save_TensorThatRequiresGrad_IsWrittenWithoutTouchingTheGraph()
    {
        var p = torch.randn([4], ScalarType.Float32, new Generator(1), requires_grad: true);
        var back = SafeTensors.Deserialize(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["p"] = p * 2 }, floatDType: ScalarType.Float16));
        Assert.False(back["p"].requires_grad);
        Assert.Equal(Bytes((p * 2).detach().to(ScalarType.Float16)), Bytes(back["p"]));
    }

    [Fact]
    public void Save_DuplicateOrReservedNamesOrIntegerFloatDType_ThrowClearArgumentErrors()
    {
        var one = torch.ones(1);
        var dup = new[] { KeyValuePair.Create("w", one), KeyValuePair.Create("w", one) };
        Assert.Contains("tensor name 'w' is given twice", Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(dup)).Message);
        var reserved = new Dictionary<string, Tensor> { ["__metadata__"] = one };
        Assert.Contains("'__metadata__' is reserved", Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(reserved)).Message);
        var ok = new Dictionary<string, Tensor> { ["w"] = one };
        Assert.Contains("floatDType must be a floating type", Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(ok, floatDType: ScalarType.Int32)).Message);
    }

    [Fact]
    public void GetInfo_UnknownName_ThrowsListingTheTensorsThatExist()
    {
        using var f = SafeTensorsFile.FromBytes(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["a"] = torch.ones(1), ["b"] = torch.ones(1) }), "ckpt");
        var e = Assert.Throws<KeyNotFoundException>(() => f.GetTensor("c"));
        Assert.Equal("safetensors file 'ckpt' has no tensor 'c'; it holds 'a', 'b'", e.Message);
        Assert.True(f.Contains("a"));
        Assert.Equal(2, f.Count);
    }

    [Fact]
    public void Open_ReadOnlyDTypes_AreWidenedLosslessly()
    {
        // U8, I8, I16, U16, U32, U64, F8_E5M2, F8_E4M3: read-only types the engine widens on load.
        var data = new List<byte>();
        var entries = new List<string>();
        void Add(string name, string dtype, int count, byte[] bytes)
        {
            entries.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{count}],\"data_offsets\":[{data.Count},{data.Count + bytes.Length}]}}");
            data.AddRange(bytes);
        }
        Add("u64", "U64", 2, [.. BitConverter.GetBytes(0UL), .. BitConverter.GetBytes((ulong)long.MaxValue)]);
        Add("u32", "U32", 2, [.. BitConverter.GetBytes(uint.MaxValue), .. BitConverter.GetBytes(5u)]);
        Add("i16", "I16", 2, [.. BitConverter.GetBytes(short.MinValue), .. BitConverter.GetBytes((short)-2)]);
        Add("u16", "U16", 2, [.. BitConverter.GetBytes(ushort.MaxValue), .. BitConverter.GetBytes((ushort)3)]);
        Add("i8", "I8", 2, [0x80, 0x7F]);
        Add("u8", "U8", 2, [0xFF, 0x01]);
        Add("e5m2", "F8_E5M2", 4, [0x3C, 0x7C, 0x80, 0x01]);          // 1.0, inf, -0.0, 2^-16
        Add("e4m3", "F8_E4M3", 6, [0x38, 0x7E, 0x01, 0xFF, 0x80, 0xC4]); // 1.0, 448, 2^-9, NaN, -0.0, -3.0
        var bytes = Build(Encoding.UTF8.GetBytes("{" + string.Join(",", entries) + "}"), [.. data]);
        using var f = SafeTensorsFile.FromBytes(bytes);
        Assert.Equal(new long[] { 0, long.MaxValue }, f.GetTensor("u64").data<long>());
        Assert.Equal(new long[] { uint.MaxValue, 5 }, f.GetTensor("u32").data<long>());
        Assert.Equal(new[] { (int)short.MinValue, -2 }, f.GetTensor("i16").data<int>());
        Assert.Equal(new[] { 65535, 3 }, f.GetTensor("u16").data<int>());
        Assert.Equal(new[] { -128, 127 }, f.GetTensor("i8").data<int>());
        Assert.Equal(new[] { 255, 1 }, f.GetTensor("u8").data<int>());
        Assert.Equal(new ulong[] { 0x3C00, 0x7C00, 0x8000, 0x0100 }, Bits(f.GetTensor("e5m2")));
        var e4 = f.GetTensor("e4m3", ScalarType.Float64).data<double>();
        Assert.Equal(new[] { 1.0, 448.0, Math.Pow(2, -9) }, e4[..3]);
        Assert.True(double.IsNaN(e4[3]));
        Assert.True(double.IsNegative(e4[4]) && e4[4] == 0);
        Assert.Equal(-3.0, e4[5]);
    }
}
