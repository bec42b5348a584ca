// The MoE block against PyTorch 1.13 golden values (tools/golden/moe_block.py): outputs, routing, both losses
// and gradients, for the topk-softmax (Mixtral) and softmax-topk (DeepSeek-MoE) gates, with a shared expert.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Moe;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class MoeGoldenTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "moe_block.json"))).RootElement;

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    private static void Close(double[] expected, double[] actual, double tol = 1e-10)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: PyTorch {expected[i]}, ours {actual[i]}");
    }

    [Theory]
    [InlineData("topk-softmax")]
    [InlineData("softmax-topk")]
    public void Forward_And_Backward_MatchPyTorch(string normalize)
    {
        var dims = Golden.GetProperty("dims");
        int d = dims.GetProperty("d").GetInt32(), tokens = dims.GetProperty("tokens").GetInt32();
        var config = new ModelConfig
        {
            HiddenSize = d,
            IntermediateSize = dims.GetProperty("hidden").GetInt32(),
            Moe = new MoeConfig
            {
                NumExperts = dims.GetProperty("experts").GetInt32(),
                TopK = dims.GetProperty("k").GetInt32(),
                SharedExpertIntermediateSize = dims.GetProperty("shared").GetInt32(),
                LoadBalanceWeight = dims.GetProperty("alpha").GetDouble(),
                RouterZLossWeight = dims.GetProperty("beta").GetDouble(),
                RouterOptions = new JsonObject { ["Normalize"] = normalize },
            },
        };
        var layer = new MoeLayer(config, TestCatalog.Create(), new Generator(0), ScalarType.Float64);
        var state = Golden.GetProperty("state").EnumerateObject().ToDictionary(
            p => p.Name,
            p => tensor(Doubles(p.Value.GetProperty("data")), [.. p.Value.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())]));
        layer.load_state_dict(state);
        var x = tensor(Doubles(Golden.GetProperty("x")), [tokens, d], requires_grad: true);
        var w = tensor(Doubles(Golden.GetProperty("w_out")), [tokens, d]);
        var expected = Golden.GetProperty("cases").GetProperty(normalize);

        var o = layer.forward(x);
        ((o.Output * w).sum() + o.AuxLoss).backward();

        Close(Doubles(expected.GetProperty("output")), o.Output.data<double>());
        Assert.Equal(expected.GetProperty("indices").EnumerateArray().Select(v => v.GetInt64()), o.ExpertIndices.data<long>());
        Close([expected.GetProperty("load_balancing").GetDouble() + expected.GetProperty("z_loss").GetDouble()], [o.AuxLoss.ToDouble()], 1e-14);
        Close(Doubles(expected.GetProperty("grad_x")), x.grad!.data<double>());
        var grads = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<double>());
        Close(Doubles(expected.GetProperty("grad_gate")), grads["gate.weight"]);
        Close(Doubles(expected.GetProperty("grad_expert0_down")), grads["experts.0.down_proj.weight"]);
    }
}
