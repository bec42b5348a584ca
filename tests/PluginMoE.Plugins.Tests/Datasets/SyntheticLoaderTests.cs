// Tests of the synthetic loader: seeded, stable under more documents, structurally distinct domains.
using System.Globalization;
using System.Text.RegularExpressions;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets;

namespace PluginMoE.Plugins.Tests.Datasets;

public sealed class SyntheticLoaderTests
{
    private static List<Document> Load(SyntheticOptions options) => [.. new SyntheticLoader().Load(new DatasetRequest { Options = options })];

    [Fact]
    public void Load_SameSeed_SameDocuments_AndMoreDocumentsKeepTheFirstOnes()
    {
        var a = Load(new SyntheticOptions { DocumentsPerDomain = 5, Seed = 3 });
        var b = Load(new SyntheticOptions { DocumentsPerDomain = 8, Seed = 3 });
        var c = Load(new SyntheticOptions { DocumentsPerDomain = 5, Seed = 4 });
        Assert.Equal(15, a.Count);
        Assert.Equal(a, b.Where(d => int.Parse(d.Id[^6..], CultureInfo.InvariantCulture) < 5));
        Assert.NotEqual(a.Select(d => d.Text), c.Select(d => d.Text));
        Assert.Equal("synthetic/arithmetic/000000", a[0].Id);
    }

    [Fact]
    public void Load_EachDomain_FollowsItsGrammar()
    {
        var docs = Load(new SyntheticOptions { DocumentsPerDomain = 20, CharactersPerDocument = 300 });
        foreach (var doc in docs)
        {
            Assert.True(doc.Text.Length >= 300);
            foreach (var line in doc.Text.TrimEnd('\n').Split('\n'))
            {
                switch (doc.Domain)
                {
                    case "arithmetic":
                        var m = Regex.Match(line, @"^(\d+(?: [-+*] \d+)+) = (-?\d+)$");
                        Assert.True(m.Success, line);
                        Assert.Equal(long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Evaluate(m.Groups[1].Value));
                        break;
                    case "brackets":
                        Assert.True(Balanced(line), line);
                        break;
                    default:
                        Assert.Matches(@"^id=\d{4}(; [a-z]+=[^;]+)*$", line);
                        break;
                }
            }
        }
    }

    [Fact]
    public void Load_UnknownDomain_IsRefusedListingTheDomains() =>
        Assert.Equal("synthetic: unknown domain 'maths'; domains: arithmetic, brackets, records",
            Assert.Throws<ArgumentException>(() => Load(new SyntheticOptions { Domains = ["maths"] })).Message);

    // Independent evaluation through DataTable's expression engine (integer arithmetic with precedence).
    private static long Evaluate(string expression) =>
        Convert.ToInt64(new System.Data.DataTable().Compute(expression, null), CultureInfo.InvariantCulture);

    private static bool Balanced(string s)
    {
        var stack = new Stack<char>();
        foreach (char c in s)
        {
            int open = "([{".IndexOf(c, StringComparison.Ordinal), close = ")]}".IndexOf(c, StringComparison.Ordinal);
            if (open >= 0) stack.Push(")]}"[open]);
            else if (close < 0 || stack.Count == 0 || stack.Pop() != c) return false;
        }
        return stack.Count == 0 && s.Length >= 4;
    }
}
