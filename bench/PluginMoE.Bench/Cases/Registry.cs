// The list of benchmark cases. To add cases, write a class like GemmCases and list it here.
namespace PluginMoE.Bench.Cases;

internal static class Registry
{
    public static IEnumerable<BenchCase> All() =>
        GemmCases.Create()
            .Concat(ElementwiseCases.Create())
            .Concat(TransformerCases.Create())
            .Concat(ModelCases.Create())
            .Concat(RouterCases.Create())
            .Concat(GroupedCases.Create())
            .Concat(SharedExpertCases.Create());
}
