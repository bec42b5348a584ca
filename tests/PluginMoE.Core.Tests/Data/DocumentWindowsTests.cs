// Tests of validation windows cut per document: no window crosses a document boundary, every token after a
// document's first is a target exactly once, padding is ignored by the loss.
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Core.Text;

namespace PluginMoE.Core.Tests.Data;

public sealed class DocumentWindowsTests
{
    [Fact]
    public void BuildPerDocument_WindowsStayInsideDocumentsAndPadTheLastOne()
    {
        var docs = new[] { new Document("1", "d", "abcdefghijk"), new Document("2", "d", "XYZ"), new Document("3", "d", "q") };
        var set = ValidationSet.BuildPerDocument(docs, ByteTokenizer.Instance, sequenceLength: 4);
        Assert.Equal(4, set.WindowCount("d"));               // "abcde" "efghi" "ijk" + pad, "XYZ" + pad; "q" has no target
        var batch = Assert.Single(set.Batches("d", 8));
        var x = batch.Inputs.data<long>().ToArray();
        var y = batch.Targets.data<long>().ToArray();
        string Row(long[] v, int r) => new([.. v.Skip(r * 4).Take(4).Select(c => c is < 32 ? '_' : (char)c)]);
        Assert.Equal(["abcd", "efgh", "ijk_", "XYZ_"], Enumerable.Range(0, 4).Select(r => Row(x, r)));
        Assert.Equal([(long)'j', 'k', TokenBatch.IgnoreIndex, TokenBatch.IgnoreIndex], y.Skip(8).Take(4));
        Assert.Equal([(long)'Y', 'Z', TokenBatch.IgnoreIndex, TokenBatch.IgnoreIndex], y.Skip(12).Take(4));
        Assert.Equal(10 + 2, batch.CountTargets());           // 11 - 1 and 3 - 1 predicted tokens
    }

    [Fact]
    public void PaddedTargets_ContributeNothingToTheLoss()
    {
        var logits = PluginMoE.Tensors.torch.randn([4, 300], generator: new PluginMoE.Tensors.Generator(1));
        var targets = PluginMoE.Tensors.torch.tensor(new long[] { 5, 7, TokenBatch.IgnoreIndex, TokenBatch.IgnoreIndex }, [4]);
        var sum = PluginMoE.Tensors.torch.nn.functional.cross_entropy(logits, targets, reduction: "sum").ToDouble();
        var firstTwo = PluginMoE.Tensors.torch.nn.functional.cross_entropy(logits.narrow(0, 0, 2), targets.narrow(0, 0, 2), reduction: "sum").ToDouble();
        Assert.Equal(firstTwo, sum, 10);
    }
}
