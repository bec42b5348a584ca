// Generators of structurally distinct toy domains: arithmetic (correct equations), bracket languages
// (balanced Dyck words over three bracket kinds, with depth) and key-value records.
using System.Globalization;
using System.Text;

namespace PluginMoE.Plugins.Datasets.Synthetic;

internal static class SyntheticGenerators
{
    private static readonly Dictionary<string, Func<SplitMix, string>> Lines = new(StringComparer.Ordinal)
    {
        ["arithmetic"] = Equation,
        ["brackets"] = Dyck,
        ["records"] = Record,
    };

    public static IReadOnlyList<string> Names { get; } = [.. Lines.Keys];

    /// <summary>One document: lines of the domain until about <paramref name="characters"/> characters.</summary>
    public static string Document(string domain, SplitMix rng, int characters)
    {
        var line = Lines[domain];
        var sb = new StringBuilder();
        while (sb.Length < characters) sb.Append(line(rng)).Append('\n');
        return sb.ToString();
    }

    // "12 + 7 * 3 = 33": two or three operands, + - *, evaluated with the usual precedence.
    private static string Equation(SplitMix r)
    {
        int n = 2 + r.Below(2);
        var values = new long[n];
        var ops = new char[n - 1];
        for (int i = 0; i < n; i++) values[i] = r.Below(100);
        for (int i = 0; i < n - 1; i++) ops[i] = "+-*"[r.Below(3)];
        // Multiplications first, then left to right.
        var terms = new List<long> { values[0] };
        var signs = new List<char>();
        for (int i = 0; i < ops.Length; i++)
        {
            if (ops[i] == '*') terms[^1] *= values[i + 1];
            else { terms.Add(values[i + 1]); signs.Add(ops[i]); }
        }
        long result = terms[0];
        for (int i = 0; i < signs.Count; i++) result = signs[i] == '+' ? result + terms[i + 1] : result - terms[i + 1];
        var sb = new StringBuilder().Append(values[0].ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < ops.Length; i++) sb.Append(' ').Append(ops[i]).Append(' ').Append(values[i + 1].ToString(CultureInfo.InvariantCulture));
        return sb.Append(" = ").Append(result.ToString(CultureInfo.InvariantCulture)).ToString();
    }

    // A balanced word over (), [], {} of 4 to 24 brackets.
    private static string Dyck(SplitMix r)
    {
        int pairs = 2 + r.Below(11);
        var sb = new StringBuilder();
        var open = new Stack<char>();
        int remaining = pairs;
        while (remaining > 0 || open.Count > 0)
        {
            if (remaining > 0 && (open.Count == 0 || r.Below(2) == 0))
            {
                int k = r.Below(3);
                sb.Append("([{"[k]);
                open.Push(")]}"[k]);
                remaining--;
            }
            else sb.Append(open.Pop());
        }
        return sb.ToString();
    }

    private static readonly string[] Keys = ["id", "name", "city", "status", "age", "score", "tier"];
    private static readonly string[] PersonNames = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
    private static readonly string[] Cities = ["oslo", "lima", "perth", "quito", "cairo", "dakar", "hanoi"];
    private static readonly string[] Statuses = ["active", "pending", "closed", "frozen"];

    // "id=0042; name=carol; city=lima; status=active": a random subset of keys in a fixed order.
    private static string Record(SplitMix r)
    {
        var parts = new List<string>();
        foreach (var key in Keys)
        {
            if (key != "id" && r.Below(3) == 0) continue;
            string value = key switch
            {
                "id" => r.Below(10000).ToString("D4", CultureInfo.InvariantCulture),
                "name" => r.Pick(PersonNames),
                "city" => r.Pick(Cities),
                "status" => r.Pick(Statuses),
                "age" => (18 + r.Below(70)).ToString(CultureInfo.InvariantCulture),
                "score" => (r.Below(1000) / 10.0).ToString("0.0", CultureInfo.InvariantCulture),
                _ => "ABC"[r.Below(3)].ToString(),
            };
            parts.Add($"{key}={value}");
        }
        return string.Join("; ", parts);
    }
}
