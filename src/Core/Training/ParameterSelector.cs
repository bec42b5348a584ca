// Parameter freezing by name pattern: globs over canonical names (`*.mlp.gate.*`) or `re:` regular expressions.
using System.Text;
using System.Text.RegularExpressions;

namespace PluginMoE.Core.Training;

/// <summary>Decides which named parameters are trained.</summary>
public static class ParameterSelector
{
    /// <summary>
    /// The names to train: those matching a <paramref name="trainable"/> pattern (all when null) and no
    /// <paramref name="frozen"/> pattern. A pattern that matches no name is an error (it is almost always a typo).
    /// </summary>
    public static IReadOnlySet<string> Select(IReadOnlyList<string> names, IReadOnlyList<string>? trainable, IReadOnlyList<string>? frozen)
    {
        ArgumentNullException.ThrowIfNull(names);
        var selected = trainable is null ? new HashSet<string>(names, StringComparer.Ordinal) : Matching(names, trainable, nameof(TrainerOptions.TrainableParameters));
        if (frozen is not null) selected.ExceptWith(Matching(names, frozen, nameof(TrainerOptions.FrozenParameters)));
        if (selected.Count == 0)
            throw new ArgumentException(
                $"no parameter is left to train: {nameof(TrainerOptions.TrainableParameters)} [{string.Join(", ", trainable ?? ["*"])}] minus " +
                $"{nameof(TrainerOptions.FrozenParameters)} [{string.Join(", ", frozen ?? [])}] selects nothing; parameters are named like {Examples(names)}");
        return selected;
    }

    private static HashSet<string> Matching(IReadOnlyList<string> names, IReadOnlyList<string> patterns, string option)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            var regex = ToRegex(pattern);
            bool any = false;
            foreach (var n in names)
                if (regex.IsMatch(n)) { result.Add(n); any = true; }
            if (!any)
                throw new ArgumentException(
                    $"{option} pattern '{pattern}' matches no parameter; parameters are named like {Examples(names)} " +
                    "(globs use * for any characters, dots included; prefix a regular expression with 're:')");
        }
        return result;
    }

    /// <summary>The regex of a glob (anchored; <c>*</c> = any characters, <c>?</c> = one) or of a <c>re:</c> pattern.</summary>
    public static Regex ToRegex(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (pattern.StartsWith("re:", StringComparison.Ordinal))
            return new Regex($"^(?:{pattern[3..]})$", RegexOptions.CultureInvariant);
        var sb = new StringBuilder("^");
        foreach (char c in pattern)
            sb.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private static string Examples(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(4).Select(n => $"'{n}'")) + (names.Count > 4 ? ", ..." : "");
}
