// Element-wise and reduction cases (work = elements of the output or input per run).
using PluginMoE.Tensors;

namespace PluginMoE.Bench.Cases;

internal static class ElementwiseCases
{
    public static IEnumerable<BenchCase> Create()
    {
        const long n = 1 << 22;
        var f32 = new Dictionary<string, string> { ["dtype"] = "float32" };
        yield return new BenchCase("add", [n], "elems", n, () =>
        {
            var g = new Generator(1);
            var a = torch.randn([n], ScalarType.Float32, g);
            var b = torch.randn([n], ScalarType.Float32, g);
            return () => a.add(b);
        }, f32);
        yield return new BenchCase("add_broadcast", [2048, 2048], "elems", 2048 * 2048, () =>
        {
            var g = new Generator(1);
            var a = torch.randn([2048, 2048], ScalarType.Float32, g);
            var b = torch.randn([2048], ScalarType.Float32, g);
            return () => a.add(b);
        }, f32);
        yield return new BenchCase("sum", [n], "elems", n, () =>
        {
            var a = torch.randn([n], ScalarType.Float32, new Generator(1));
            return () => a.sum();
        }, f32);
    }
}
