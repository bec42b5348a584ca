// Reads the Python-written fixtures (tools/golden/safetensors_fixtures.py, PyTorch 1.13) and checks every
// tensor against the expected bits/values in the JSON sidecar written by the same script.
using System.Text.Json;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.Tests.Serialization.SafeTensorsTestFiles;

namespace PluginMoE.Tensors.Tests.Serialization;

public sealed class SafeTensorsFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", name);

    private static JsonElement Sidecar(string name) => JsonDocument.Parse(File.ReadAllText(Fixture(name + ".json"))).RootElement;

    private static void CheckAgainstSidecar(SafeTensorsFile f, JsonElement side)
    {
        var tensors = side.GetProperty("tensors");
        Assert.Equal(tensors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), f.Names.Order(StringComparer.Ordinal));
        foreach (var p in tensors.EnumerateObject())
        {
            var e = p.Value;
            var info = f.GetInfo(p.Name);
            Assert.Equal(e.GetProperty("dtype").GetString(), info.DType.SpecName());
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), info.Shape);
            var t = f.GetTensor(p.Name);
            Assert.Equal(info.ShapeArray(), t.shape);
            if (e.TryGetProperty("bits", out var bits))
            {
                Assert.Equal(bits.EnumerateArray().Select(x => x.GetUInt64()), Bits(t));
                // The engine's widening to float32 agrees with torch's, bit for bit (NaN payloads included).
                Assert.Equal(e.GetProperty("float32_bits").EnumerateArray().Select(x => x.GetUInt64()), Bits(t.to(ScalarType.Float32)));
            }
            else
            {
                var expected = e.GetProperty("values").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                var actual = t.dtype == ScalarType.Bool ? t.data<bool>().Select(b => b ? 1L : 0L).ToArray() : t.to(ScalarType.Int64).data<long>();
                Assert.Equal(expected, actual);
            }
        }
        var meta = side.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(meta.OrderBy(kv => kv.Key), f.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(side.GetProperty("data_order").EnumerateArray().Select(x => x.GetString()), f.Names);
    }

    [Fact]
    public void Open_PythonFixtureWithEveryDType_MatchesTorchValuesBitwise()
    {
        using var f = SafeTensorsFile.Open(Fixture("dtypes.safetensors"));
        CheckAgainstSidecar(f, Sidecar("dtypes"));
        // arange[i] = i / 8, shape (4, 5, 6): the documented formula in the generator.
        var a = f.GetTensor("model.layers.0.arange").data<float>();
        Assert.Equal(Enumerable.Range(0, 120).Select(i => i / 8f), a);
        Assert.Equal(42.5f, f.GetTensor("scalar").item<float>());
        Assert.Equal("ünïcode ✓", f.Metadata["note"]);
    }

    [Fact]
    public void Open_UnpaddedCompactHeaderInAnotherKeyOrder_IsAccepted()
    {
        using var f = SafeTensorsFile.Open(Fixture("unpadded.safetensors"));
        Assert.NotEqual(0, f.HeaderLength % 8);
        CheckAgainstSidecar(f, Sidecar("unpadded"));
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, f.GetTensor("a").data<int>());
        Assert.Equal(new long[] { 2, 0 }, f.GetTensor("b").shape);
    }

    [Fact]
    public void Open_RoundingFixture_EngineConversionsMatchTorchRounding()
    {
        using var f = SafeTensorsFile.Open(Fixture("rounding.safetensors"));
        CheckAgainstSidecar(f, Sidecar("rounding"));
        var src = f.GetTensor("source");
        Assert.Equal(Bits(f.GetTensor("bf16")), Bits(src.to(ScalarType.BFloat16)));
        Assert.Equal(Bits(f.GetTensor("f16")), Bits(src.to(ScalarType.Float16)));
        // Saving float32 as BF16 gives the bytes torch would have stored.
        using var saved = SafeTensorsFile.FromBytes(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["bf16"] = src }, floatDType: ScalarType.BFloat16));
        Assert.Equal(Bytes(f.GetTensor("bf16")), Bytes(saved.GetTensor("bf16")));
    }

    [Fact]
    public void LoadThenSave_PythonFixture_ReloadsBitwiseIdentical()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pluginmoe-resave-{Guid.NewGuid():N}.safetensors");
        try
        {
            var src = SafeTensors.Load(Fixture("dtypes.safetensors"));
            SafeTensors.Save(path, src, SafeTensors.LoadMetadata(Fixture("dtypes.safetensors")));
            var back = SafeTensors.Load(path);
            foreach (var (name, t) in src) Assert.Equal(Bytes(t), Bytes(back[name]));
            // Same layout convention as the generator (reference order), so even the data section matches.
            using var a = SafeTensorsFile.Open(Fixture("dtypes.safetensors"));
            using var b = SafeTensorsFile.Open(path);
            Assert.Equal(a.Names, b.Names);
            Assert.Equal(a.Tensors.Select(t => (t.DataBegin, t.DataEnd)), b.Tensors.Select(t => (t.DataBegin, t.DataEnd)));
        }
        finally { File.Delete(path); }
    }
}
