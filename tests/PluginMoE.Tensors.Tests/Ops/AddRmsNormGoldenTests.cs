// F.add_rms_norm's two-output backward against PyTorch 1.13 (tools/golden/fusion.py, float64, the defining formula
// through PyTorch's autograd): both results used, only one used, no weight; and the fused CPU kernel against
// IBackend's default composition (RmsNormBackward + add).
using System.Text.Json;
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class AddRmsNormGoldenTests
{
    internal static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "fusion.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    internal static Tensor? Decode(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        return torch.tensor(e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray(), shape);
    }

    [Theory]
    [InlineData("both_results")]
    [InlineData("output_only")]
    [InlineData("sum_only")]
    [InlineData("no_weight")]
    public void AddRmsNorm_MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var x = Decode(c.GetProperty("x"))!.requires_grad_();
        var r = Decode(c.GetProperty("residual"))!.requires_grad_();
        var w = Decode(c.GetProperty("weight"))?.requires_grad_();
        var gs = Decode(c.GetProperty("grad_sum"));
        var gy = Decode(c.GetProperty("grad_output"));
        var (sum, y) = F.add_rms_norm(x, r, [x.shape[^1]], w, c.GetProperty("eps").GetDouble());
        Assert.Equal("AddRmsNormBackward", sum.grad_fn);
        Assert.Equal("AddRmsNormBackward", y.grad_fn);
        AssertClose(Decode(c.GetProperty("sum"))!, sum, 1e-12);
        AssertClose(Decode(c.GetProperty("output"))!, y, 1e-12);
        Tensor? loss = null;
        if (gs is not null) loss = (sum * gs).sum();
        if (gy is not null) loss = loss is null ? (y * gy).sum() : loss + (y * gy).sum();
        loss!.backward();
        AssertClose(Decode(c.GetProperty("grad_x"))!, x.grad!, 1e-12);
        AssertClose(Decode(c.GetProperty("grad_residual"))!, r.grad!, 1e-12);
        if (Decode(c.GetProperty("grad_weight")) is { } gw) AssertClose(gw, w!.grad!, 1e-12);
        else if (w is not null) Assert.True(w.grad is null || w.grad.abs().sum().ToDouble() == 0);
    }

    [Fact]
    public void AddRmsNorm_OneResultUsed_MatchesFiniteDifferences()
    {
        var g = new Generator(82);
        GradCheck.Check(t => F.add_rms_norm(t[0], t[1], [6], t[2]).sum.tanh(), [GradCheck.Input(g, 4, 6), GradCheck.Input(g, 4, 6), GradCheck.Input(g, 6)]);
        GradCheck.Check(t => F.add_rms_norm(t[0], t[1], [6], t[2]).output, [GradCheck.Input(g, 4, 6), GradCheck.Input(g, 4, 6), GradCheck.Input(g, 6)]);
        // The sum feeding the consumer of the normalised output (as the next residual add of a decoder block does).
        GradCheck.Check(t =>
        {
            var (s, y) = F.add_rms_norm(t[0], t[1], [6], t[2]);
            return s + y.tanh() * s;
        }, [GradCheck.Input(g, 2, 4, 6), GradCheck.Input(g, 2, 4, 6), GradCheck.Input(g, 6)]);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-13)]
    [InlineData(ScalarType.Float32, 1e-5)]
    public void FusedBackwardKernel_EqualsDefaultComposition(ScalarType dtype, double tol)
    {
        var g = new Generator(83);
        var x = torch.randn([37, 64], dtype, g);
        var r = torch.randn([37, 64], dtype, g);
        var w = torch.randn([64], dtype, g);
        var dS = torch.randn([37, 64], dtype, g);
        var dY = torch.randn([37, 64], dtype, g);
        IBackend cpu = x.backend;
        var (s, _, rstd) = cpu.AddRmsNormForward(x, r, w, 64, 1e-6);
        var (dx, dw) = cpu.AddRmsNormBackward(dS, dY, s, w, rstd, 64, true);
        var (ndx, ndw) = cpu.RmsNormBackward(dY, s, w, rstd, 64, true);
        AssertClose(ndx + dS, dx, tol);
        AssertClose(ndw!, dw!, tol);
        // A missing gradient counts as zero.
        var (dxNoSum, _) = cpu.AddRmsNormBackward(null, dY, s, w, rstd, 64, false);
        AssertClose(ndx, dxNoSum, tol);
        var (dxNoY, dwNoY) = cpu.AddRmsNormBackward(dS, null, s, w, rstd, 64, true);
        AssertClose(dS, dxNoY, 0);
        Assert.Null(dwNoY);
        var e = Assert.Throws<ArgumentException>(() => cpu.AddRmsNormBackward(null, null, s, w, rstd, 64, true));
        Assert.Contains("neither result has a gradient", e.Message);
    }
}
