// Property tests (CsCheck) of the safetensors reader and writer (src/Tensors/Serialization): valid files of every
// stored dtype (empty tensors and 0-d scalars included) round-trip exactly and re-serialise byte-identically; any
// corruption (truncation, a flipped byte in the header length or JSON, edited offsets, dtypes or shapes) either still
// reads as a valid file or fails with SafeTensorsFormatException naming the file, never with another exception.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Properties;

public sealed class SafeTensorsPropertyTests
{
    private const string Source = "prop.safetensors";

    private static readonly ScalarType[] DTypes =
        [ScalarType.Float32, ScalarType.Float64, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64, ScalarType.Int32, ScalarType.Bool];

    /// <summary>One tensor: a dtype, a shape of rank 0-3 with dims 0-4 (0-d scalars and empty tensors included), a value seed.</summary>
    private static readonly Gen<(int DType, int[] Dims, int Seed)> TensorSpec =
        Gen.Select(Gen.Int[0, DTypes.Length - 1], Gen.Int[0, 4].Array[0, 3], Gen.Int, (d, dims, s) => (d, dims, s));

    private static readonly Gen<(int DType, int[] Dims, int Seed)[]> FileSpec = TensorSpec.Array[0, 4];

    private static Tensor Make(ScalarType dtype, long[] shape, int seed)
    {
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, d) => a * d);
        return dtype switch
        {
            ScalarType.Int64 => tensor(Enumerable.Range(0, (int)n).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue)).ToArray(), shape),
            ScalarType.Int32 => tensor(Enumerable.Range(0, (int)n).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray(), shape),
            ScalarType.Bool => tensor(Enumerable.Range(0, (int)n).Select(_ => rng.Next(2) == 1).ToArray(), shape),
            ScalarType.Float64 => tensor(Enumerable.Range(0, (int)n).Select(_ => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30))).ToArray(), shape),
            _ => tensor(Enumerable.Range(0, (int)n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-4, 4)))).ToArray(), shape).to(dtype),
        };
    }

    private static Dictionary<string, Tensor> Build((int DType, int[] Dims, int Seed)[] spec) =>
        spec.Select((t, i) => (Name: $"t{i}", T: Make(DTypes[t.DType], [.. t.Dims.Select(d => (long)d)], t.Seed)))
            .ToDictionary(x => x.Name, x => x.T);

    private static void AssertSame(Tensor expected, Tensor actual, string name)
    {
        Assert.True(expected.dtype == actual.dtype, $"{name}: dtype {actual.dtype} != {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{name}: shape [{string.Join(",", actual.shape)}] != [{string.Join(",", expected.shape)}]");
        switch (expected.dtype)
        {
            case ScalarType.Int64: Assert.Equal(expected.data<long>(), actual.data<long>()); break;
            case ScalarType.Int32: Assert.Equal(expected.data<int>(), actual.data<int>()); break;
            case ScalarType.Bool: Assert.Equal(expected.data<bool>(), actual.data<bool>()); break;
            // Half and bfloat16 widen to double exactly, so equality here is bit equality of finite values.
            default: Assert.Equal(expected.to(ScalarType.Float64).data<double>(), actual.to(ScalarType.Float64).data<double>()); break;
        }
    }

    [Fact]
    public void ValidFiles_RoundTripExactly_AndReserialiseByteIdentically() =>
        Gen.Select(FileSpec, Gen.Int[0, 3], (spec, meta) => (spec, meta)).Sample(c =>
        {
            var tensors = Build(c.spec);
            var metadata = c.meta == 0 ? null : Enumerable.Range(0, c.meta).ToDictionary(i => $"k{i}", i => $"v\"{i}\u00e9\n");
            byte[] bytes = SafeTensors.Serialize(tensors, metadata);
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8); // the header is padded to 8 bytes
            using var f = SafeTensorsFile.FromBytes(bytes, Source);
            Assert.Equal(metadata ?? new Dictionary<string, string>(), f.Metadata.ToDictionary());
            var loaded = f.LoadAll();
            Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
            foreach (var (name, t) in tensors) AssertSame(t, loaded[name], name);
            Assert.Equal(bytes, SafeTensors.Serialize(loaded, metadata));
        }, iter: 300, threads: 1);

    /// <summary>Reads the bytes; returns the format error, or null when they read as a valid file (every tensor loads).</summary>
    private static SafeTensorsFormatException? ReadsOrRefuses(byte[] bytes, string what)
    {
        try
        {
            using var f = SafeTensorsFile.FromBytes(bytes, Source);
            f.LoadAll();
            return null;
        }
        catch (SafeTensorsFormatException e)
        {
            Assert.Equal(Source, e.FilePath);
            Assert.StartsWith($"safetensors file '{Source}'", e.Message);
            return e;
        }
        catch (NotSupportedException e) when (e.Message.StartsWith($"safetensors file '{Source}', tensor '", StringComparison.Ordinal)
                                               && e.Message.Contains($"the engine supports", StringComparison.Ordinal))
        {
            return null; // a valid file the engine cannot hold (documented on GetTensor): more than int.MaxValue elements or per dimension
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name} escaped the reader ({what}): {e.Message}");
        }
    }

    private static readonly Gen<(int DType, int[] Dims, int Seed)[]> NonEmptyFile = TensorSpec.Array[1, 4];

    [Fact]
    public void Truncation_AtAnyByte_IsAFormatError() =>
        Gen.Select(FileSpec, Gen.Int[0, int.MaxValue], (spec, at) => (spec, at)).Sample(c =>
        {
            byte[] bytes = SafeTensors.Serialize(Build(c.spec));
            int cut = c.at % bytes.Length;
            Assert.NotNull(ReadsOrRefuses(bytes[..cut], $"truncated to {cut} of {bytes.Length} bytes"));
        }, iter: 500, threads: 1);

    [Fact]
    public void FlippedByte_InTheHeaderLength_IsAFormatError() =>
        Gen.Select(FileSpec, Gen.Int[0, 7], Gen.Int[1, 255], (spec, at, x) => (spec, at, x)).Sample(c =>
        {
            byte[] bytes = SafeTensors.Serialize(Build(c.spec));
            bytes[c.at] ^= (byte)c.x;
            Assert.NotNull(ReadsOrRefuses(bytes, $"byte {c.at} of the length xor 0x{c.x:X2}"));
        }, iter: 500, threads: 1);

    [Fact]
    public void FlippedByte_AnywhereInTheHeaderOrData_ReadsOrIsAFormatError() =>
        Gen.Select(NonEmptyFile, Gen.Int[0, int.MaxValue], Gen.Int[1, 255], (spec, at, x) => (spec, at, x)).Sample(c =>
        {
            byte[] bytes = SafeTensors.Serialize(Build(c.spec));
            int at = 8 + c.at % (bytes.Length - 8);
            bytes[at] ^= (byte)c.x;
            ReadsOrRefuses(bytes, $"byte {at} xor 0x{c.x:X2}: {Encoding.UTF8.GetString(bytes, 8, Math.Min(bytes.Length - 8, 400))}");
        }, iter: 1000, threads: 1);

    // Values an edit may put in a header field: wrong kinds, negatives, huge numbers, other dtypes.
    private static readonly string[] Values =
    [
        "0", "1", "2", "3", "4", "7", "8", "-1", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "1e300", "0.5", "null", "true", "\"\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"I32\"",
        "\"BOOL\"", "\"U8\"", "\"I8\"", "\"U64\"", "\"F8_E4M3\"", "\"F4\"", "\"float32\"", "\"C64\"", "[]", "[0]", "[1, 1]", "[0, 0]", "[4, 0]",
        "[0, 9223372036854775807]", "[9223372036854775807, 9223372036854775807]", "[2, 1]", "[-1, 3]", "[0, 4, 8]", "[4294967296, 4294967296]",
        "[3037000500, 3037000500]", "[2147483648]", "[65536, 65536, 65536, 65536]", "[\"a\"]", "{}",
    ];

    private static readonly string[] Fields = ["dtype", "shape", "data_offsets"];

    [Fact]
    public void EditedHeaderFields_ReadOrAreAFormatError() =>
        Gen.Select(NonEmptyFile, Gen.Select(Gen.Int[0, 3], Gen.Int[0, 2], Gen.Int[0, Values.Length - 1], Gen.Int[0, 3]).Array[1, 3], (spec, edits) => (spec, edits))
            .Sample(c =>
            {
                byte[] bytes = SafeTensors.Serialize(Build(c.spec));
                long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
                foreach (var (tensorIdx, field, value, op) in c.edits)
                {
                    string name = $"t{tensorIdx % c.spec.Length}";
                    if (header[name] is not JsonObject entry) continue;
                    switch (op)
                    {
                        case 0: entry.Remove(Fields[field]); break;
                        case 1: header[$"copy{value}"] = entry.DeepClone(); break; // a second tensor over the same bytes
                        default: entry[Fields[field]] = JsonNode.Parse(Values[value]); break;
                    }
                }
                byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
                byte[] data = bytes[(int)(8 + n)..];
                var edited = new byte[8 + json.Length + data.Length];
                BinaryPrimitives.WriteUInt64LittleEndian(edited, (ulong)json.Length);
                json.CopyTo(edited, 8);
                data.CopyTo(edited, 8 + json.Length);
                ReadsOrRefuses(edited, $"header {header.ToJsonString()} over {data.Length} data bytes");
            }, iter: 1500, threads: 1);

    // Found by EditedHeaderFields: an empty tensor with a dimension above int.MaxValue was refused as "has 0 elements".
    [Fact]
    public void EmptyTensor_WithADimensionAboveIntMax_IsRefusedNamingTheDimension()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"t0":{"dtype":"BF16","shape":[0,9223372036854775807],"data_offsets":[0,0]}}""");
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        using var f = SafeTensorsFile.FromBytes(bytes, Source);
        var e = Assert.Throws<NotSupportedException>(() => f.GetTensor("t0"));
        Assert.Equal($"safetensors file '{Source}', tensor 't0': shape [0, 9223372036854775807] has dimension 1 of size 9223372036854775807; " +
                     $"the engine supports dimensions of at most {int.MaxValue}", e.Message);
    }

    [Fact]
    public void Truncation_OfARealFile_NamesThePath()
    {
        var dir = Directory.CreateTempSubdirectory("props-st-");
        try
        {
            byte[] bytes = SafeTensors.Serialize(Build([(0, [2, 3], 1), (4, [], 2), (6, [0, 4], 3)]));
            string path = Path.Combine(dir.FullName, "cut.safetensors");
            for (int cut = 0; cut < bytes.Length; cut++)
            {
                File.WriteAllBytes(path, bytes[..cut]);
                var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(path));
                Assert.Equal(path, e.FilePath);
                Assert.StartsWith($"safetensors file '{path}'", e.Message);
            }
        }
        finally { dir.Delete(recursive: true); }
    }
}
