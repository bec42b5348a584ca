// The report's loss curves keep the validation points the trainer made: a LossCurve records each evaluation point's
// validation loss (and none when the trainer evaluated nothing), loss.json written before it had them still loads, and
// loss.svg draws one "<model> (validation)" series per model with those points, over several seeds their mean with a
// band of ± the standard deviation at the steps every seed evaluated.
using System.Globalization;
using System.Xml.Linq;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe;

namespace PluginMoE.Core.Tests.Recipe;

public sealed class LossCurveValidationTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly string _dir = Directory.CreateTempSubdirectory("pluginmoe-losscurve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EvaluationResult Eval(double loss) =>
        new([new DomainEvaluation("a", loss, Math.Exp(loss), 10, [])], new ParameterCounts(1, 1, 1));

    private static LossCurve Curve(params (long Step, double Loss)[] validation)
    {
        var curve = new LossCurve();
        for (long s = 1; s <= 4; s++) curve.Points.Add(new LossPoint(s, 5 - s));
        foreach (var (step, loss) in validation) curve.OnEvaluation(step, Eval(loss));
        return curve;
    }

    [Fact]
    public void OnEvaluation_KeepsTheValidationLossPerPoint_AndASavedCurveWithoutThemStillLoads()
    {
        var curve = Curve((2, 3.5), (4, 3.0));
        curve.Save(_dir);
        var loaded = LossCurve.Load(_dir)!;
        Assert.Equal([new LossPoint(2, 3.5), new LossPoint(4, 3.0)], loaded.Validation);
        Assert.Equal(4, loaded.Points.Count);

        File.WriteAllText(Path.Combine(_dir, LossCurve.FileName), """{"Points":[{"Step":1,"Loss":2.5}],"Tokens":8,"Seconds":0.1}""");
        var old = LossCurve.Load(_dir)!;
        Assert.Empty(old.Validation);
        Assert.Single(old.Points);
    }

    private static List<XElement> Series(string svg) =>
        [.. XDocument.Load(svg).Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series")];

    private static RecipeResults Results() => new()
    {
        Domains = ["a"],
        Models = [new ModelResult { Name = "x", Kind = "variant", Perplexity = new() { ["a"] = 2 } }, new ModelResult { Name = "y", Kind = "variant", Perplexity = new() { ["a"] = 3 } }],
    };

    [Fact]
    public void Report_DrawsAValidationSeriesPerModelThatHasPoints()
    {
        RecipeReport.Write(_dir, "t", Results(), new Dictionary<string, LossCurve> { ["x"] = Curve((2, 3.5), (4, 3.0)), ["y"] = Curve() });
        var series = Series(Path.Combine(_dir, "loss.svg"));
        Assert.Equal(["x", "y", "x (validation)"], series.Select(g => (string)g.Attribute("data-name")!));
        Assert.Equal(2, ((string)series[2].Element(Svg + "polyline")!.Attribute("points")!).Split(' ').Length);
        Assert.Contains("the series named \"<model> (validation)\" are the validation loss at the trainer's evaluation points", File.ReadAllText(Path.Combine(_dir, RecipeReport.FileName)), StringComparison.Ordinal);

        // Without validation points (Training:EvalEvery 0) the plot is the training loss alone.
        string plain = Path.Combine(_dir, "plain");
        RecipeReport.Write(plain, "t", Results(), new Dictionary<string, LossCurve> { ["x"] = Curve(), ["y"] = Curve() });
        Assert.Equal(["x", "y"], Series(Path.Combine(plain, "loss.svg")).Select(g => (string)g.Attribute("data-name")!));
    }

    [Fact]
    public void Report_OverSeveralSeeds_DrawsTheMeanValidationLossWithItsSpread_AtTheStepsEverySeedEvaluated()
    {
        var seeds = new[]
        {
            new SeedResults(1, Results(), new Dictionary<string, LossCurve> { ["x"] = Curve((2, 3.0), (4, 2.0)) }),
            new SeedResults(2, Results(), new Dictionary<string, LossCurve> { ["x"] = Curve((2, 4.0), (3, 9.0), (4, 2.5)) }),
        };
        RecipeReport.Write(_dir, "t", seeds);
        var validation = Series(Path.Combine(_dir, "loss.svg")).Single(g => (string)g.Attribute("data-name")! == "x (validation)");
        Assert.Equal(2, ((string)validation.Element(Svg + "polyline")!.Attribute("points")!).Split(' ').Length);   // steps 2 and 4
        var band = ((string)validation.Element(Svg + "polygon")!.Attribute("data-spread")!).Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Math.Sqrt(0.5), band[0], 12);      // sample std of 3.0 and 4.0
        Assert.Equal(Math.Sqrt(0.125), band[1], 12);    // of 2.0 and 2.5
    }
}
