// Golden values: every case in Fixtures/golden/ops.json (written by tools/golden/generate_ops.py with
// PyTorch 1.13) is replayed here in float32; forward outputs and input gradients must match.
using System.Text.Json;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Golden;

public class GoldenOpsTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["add_broadcast"] = x => x[0] + x[1],
        ["sub_broadcast"] = x => x[0] - x[1],
        ["mul_broadcast"] = x => x[0] * x[1],
        ["div"] = x => x[0] / x[1],
        ["pow_scalar"] = x => x[0].abs().add(0.1).pow(1.7),
        ["exp"] = x => x[0].exp(),
        ["log"] = x => (x[0].abs() + 0.1).log(),
        ["sqrt"] = x => (x[0].abs() + 0.1).sqrt(),
        ["rsqrt"] = x => (x[0].abs() + 0.1).rsqrt(),
        ["tanh"] = x => x[0].tanh(),
        ["sigmoid"] = x => x[0].sigmoid(),
        ["relu"] = x => x[0].relu(),
        ["silu"] = x => x[0].silu(),
        ["gelu_erf"] = x => x[0].gelu(),
        ["gelu_tanh"] = x => x[0].gelu("tanh"),
        ["sum_dim"] = x => x[0].sum(1),
        ["mean_dims_keepdim"] = x => x[0].mean([0, 2], keepdim: true),
        ["amax_dim"] = x => x[0].amax(-1),
        ["logsumexp"] = x => x[0].logsumexp(-1),
        ["where"] = x => torch.where(x[0], x[1], x[2]),
        ["masked_fill"] = x => x[0].masked_fill(x[1], -2.5),
        ["matmul_2d"] = x => torch.matmul(x[0], x[1]),
        ["matmul_batched_broadcast"] = x => torch.matmul(x[0], x[1]),
        ["matmul_transposed"] = x => x[0].transpose(0, 1).matmul(x[1].transpose(0, 1)),
        ["linear_bias"] = x => F.linear(x[0], x[1], x[2]),
        ["softmax_last"] = x => x[0].softmax(-1),
        ["softmax_dim0"] = x => x[0].softmax(0),
        ["log_softmax"] = x => x[0].log_softmax(-1),
        ["cross_entropy_ignore"] = x => F.cross_entropy(x[0], x[1], ignore_index: -100),
        ["cross_entropy_smoothing"] = x => F.cross_entropy(x[0], x[1], label_smoothing: 0.1),
        ["cross_entropy_sum"] = x => F.cross_entropy(x[0], x[1], reduction: "sum"),
        ["embedding"] = x => F.embedding(x[0], x[1]),
        ["topk_values"] = x => x[0].topk(2).values,
        ["gather"] = x => x[0].gather(1, x[1]),
        ["scatter_add"] = x => x[0].scatter_add(0, x[1], x[2]),
        ["index_select"] = x => x[0].index_select(0, x[1]),
        ["index_add"] = x => x[0].index_add(0, x[1], x[2]),
        ["cat_dim1"] = x => torch.cat([x[0], x[1]], 1),
        ["stack_dim1"] = x => torch.stack([x[0], x[1]], 1),
        ["cumsum"] = x => x[0].cumsum(1),
        ["rms_norm"] = x => F.rms_norm(x[0], [8], x[1], 1e-6),
        ["layer_norm"] = x => F.layer_norm(x[0], [8], x[1], x[2], 1e-5),
        ["rope"] = x => F.rotary_embedding(x[0]),
        ["attention_causal"] = x => F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal: true),
        ["attention_causal_gqa"] = x => F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal: true),
    };

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "ops.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Ops.Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void Fixture_EveryCaseHasAReplay()
    {
        Assert.Empty(Cases.Value.Keys.Except(Ops.Keys));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Replay_MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Decode).ToArray();
        foreach (var t in inputs)
            if (t.dtype == ScalarType.Float32) t.requires_grad = true;
        var output = Ops[name](inputs);
        AssertClose(Decode(c.GetProperty("output")), output, $"{name} output");

        if (!c.TryGetProperty("grad_output", out var gOut)) return;
        output.backward(Decode(gOut));
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i].ValueKind == JsonValueKind.Null) continue;
            Assert.True(inputs[i].grad is not null, $"{name}: input {i} got no gradient");
            AssertClose(Decode(grads[i]), inputs[i].grad!, $"{name} grad of input {i}");
        }
    }

    internal static Tensor Decode(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var data = e.GetProperty("data").EnumerateArray();
        return e.GetProperty("dtype").GetString() switch
        {
            "float32" => torch.tensor(data.Select(v => v.GetSingle()).ToArray(), shape),
            "int64" => torch.tensor(data.Select(v => v.GetInt64()).ToArray(), shape),
            "bool" => torch.tensor(data.Select(v => v.GetInt32() != 0).ToArray(), shape),
            var d => throw new InvalidDataException($"unknown dtype {d} in golden fixture"),
        };
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double atol = 2e-5, double rtol = 2e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64).data<double>();
        var a = actual.to(ScalarType.Float64).data<double>();
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs(e[i] - a[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(e[i]), $"{what}: element {i} expected {e[i]:G9}, got {a[i]:G9}");
        }
    }
}
