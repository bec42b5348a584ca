// Renders man pages (troff with the man or mdoc macros) to plain text with the project's own code: no
// external man/groff process. Requests and macros become headings, paragraph breaks, tags and words;
// escapes become their characters; font changes, spacing, conditionals and definitions are dropped.
using System.Globalization;
using System.Text;

namespace PluginMoE.Plugins.Datasets.LocalCorpus;

/// <summary>troff source -> plain text, filled into paragraphs separated by blank lines.</summary>
internal static class TroffText
{
    // Named characters \(xx and \[name] that carry text; the rest render as nothing.
    private static readonly Dictionary<string, string> Glyphs = new(StringComparer.Ordinal)
    {
        ["em"] = "\u2014", ["en"] = "\u2013", ["hy"] = "-", ["mi"] = "-", ["aq"] = "'", ["dq"] = "\"", ["lq"] = "\u201C",
        ["rq"] = "\u201D", ["oq"] = "\u2018", ["cq"] = "\u2019", ["bu"] = "\u2022", ["co"] = "\u00A9", ["rg"] = "\u00AE",
        ["tm"] = "\u2122", ["pl"] = "+", ["mu"] = "\u00D7", ["di"] = "\u00F7", ["de"] = "\u00B0", ["ti"] = "~", ["ha"] = "^",
        ["ga"] = "`", ["rs"] = "\\", ["sl"] = "/", ["ba"] = "|", [">="] = "\u2265", ["<="] = "\u2264", ["->"] = "\u2192",
        ["<-"] = "\u2190", ["+-"] = "\u00B1", ["!="] = "\u2260", ["sc"] = "\u00A7", ["ua"] = "\u2191", ["da"] = "\u2193",
        ["Aq"] = "'", ["R"] = "\u00AE", ["Tm"] = "\u2122",
    };

    // Requests and macros that only change layout or define things.
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "ad", "na", "hy", "nh", "ft", "ps", "ne", "ti", "ll", "in", "RS", "RE", "ta", "bp", "pl", "po", "vs", "ss", "cs",
        "ul", "cu", "tr", "nr", "rr", "rm", "so", "mso", "lf", "pc", "ev", "fam", "fc", "lc", "ls", "mk", "rt", "ch", "wh",
        "it", "em", "cc", "c2", "ec", "eo", "hc", "hw", "hla", "hlm", "hym", "kern", "lg", "nm", "nn", "pn", "UC", "DT", "PD",
        "Dd", "Dt", "Os", "Bd", "Ed", "Bk", "Ek", "El", "Ns", "Pf", "Sm", "Ux", "At", "Bx", "Bf", "Ef", "Lb", "In", "OP",
        "HP", "UR", "UE", "MT", "ME", "SY", "YS", "TQ", "AT", "ds", "as", "als", "rn", "di", "da", "am", "chop",
    };

    /// <summary>The page as text, or null when it is only a link to another page (<c>.so man1/other.1</c>).</summary>
    public static string? Render(string source)
    {
        var lines = source.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var firstRequest = lines.Select(l => l.TrimStart()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith(".\\\"", StringComparison.Ordinal) && !l.StartsWith("'\\\"", StringComparison.Ordinal));
        if (firstRequest is not null && firstRequest.StartsWith(".so ", StringComparison.Ordinal)) return null;
        var w = new Writer();
        var strings = new Dictionary<string, string>(Glyphs, StringComparer.Ordinal);
        bool noFill = false, tagNext = false;
        int skipBraces = 0;
        string? skipUntilDots = null, name = null;
        int tableHeader = 0;                                         // 1: inside .TS before the format line that ends with '.'
        foreach (var raw in lines)
        {
            if (skipUntilDots is not null) { if (raw.TrimEnd() == skipUntilDots) skipUntilDots = null; continue; }
            if (skipBraces > 0) { skipBraces += Count(raw, "\\{") - Count(raw, "\\}"); continue; }
            if (tableHeader > 0) { if (raw.TrimEnd().EndsWith('.')) tableHeader = 0; continue; }
            string line = raw;
            if (line.Length > 0 && (line[0] == '.' || line[0] == '\''))
            {
                var (macro, args) = SplitRequest(line[1..]);
                switch (macro)
                {
                    case "" or "\\\"" or "\\#": break;
                    case "de" or "de1" or "ig" or "am": skipUntilDots = ".."; break;
                    case "if" or "ie" or "el" or "while":
                        skipBraces = Count(line, "\\{") - Count(line, "\\}");
                        break;
                    case "ds" when args.Length >= 1: strings[args[0]] = Inline(string.Join(' ', args.Skip(1)), strings); break;
                    case "TH" or "Dt": w.Paragraph(); if (args.Length > 0) w.Line($"{args[0]}({(args.Length > 1 ? args[1] : "")})"); w.Paragraph(); break;
                    case "SH" or "Sh" or "SS" or "Ss": w.Paragraph(); if (args.Length > 0) w.Line(Inline(string.Join(' ', args), strings)); else tagNext = true; break;
                    case "PP" or "LP" or "P" or "Pp" or "Lp" or "sp": w.Paragraph(); break;
                    case "TS": w.Paragraph(); tableHeader = 1; noFill = true; break;
                    case "TE": w.Paragraph(); noFill = false; break;
                    case "EQ" or "PS": skipUntilDots = macro == "EQ" ? ".EN" : ".PE"; break;
                    case "br": w.Break(); break;
                    case "nf" or "EX": w.Break(); noFill = true; break;
                    case "fi" or "EE": w.Break(); noFill = false; break;
                    case "TP": w.Paragraph(); tagNext = true; break;
                    case "IP" or "It": w.Paragraph(); if (args.Length > 0) { w.Line(Mdoc(args, strings, ref name)); } break;
                    case "B" or "I" or "SM" or "SB" or "Em" or "Sy" or "Li" or "Pa" or "Ar" or "Cm" or "Ev" or "Va" or "Dv" or "Er" or "Ic" or "Ql" or "Tn":
                        Text(w, Mdoc(args, strings, ref name), noFill, ref tagNext); break;
                    case "BR" or "BI" or "IB" or "RB" or "RI" or "IR":
                        Text(w, string.Concat(args.Select(a => Inline(a, strings))), noFill, ref tagNext); break;
                    case "Nm": if (name is null && args.Length > 0) name = args[0]; Text(w, args.Length > 0 ? Mdoc(args, strings, ref name) : name ?? "", noFill, ref tagNext); break;
                    case "Nd": Text(w, "\u2014 " + Mdoc(args, strings, ref name), noFill, ref tagNext); break;
                    case "D1" or "Dl": w.Break(); w.Line(Mdoc(args, strings, ref name)); break;
                    case "Bl": w.Paragraph(); break;
                    default:
                        if (Ignored.Contains(macro)) break;
                        if (args.Length > 0) Text(w, Mdoc([macro, .. args], strings, ref name), noFill, ref tagNext);
                        break;
                }
                continue;
            }
            string text = Inline(line, strings);
            if (line.Length > 0 && char.IsWhiteSpace(line[0])) w.Break();
            if (text.Trim().Length == 0 && !noFill) { w.Paragraph(); continue; }
            if (tableHeader == 0 && noFill && line.Contains('\t', StringComparison.Ordinal)) text = text.Replace('\t', ' ');
            Text(w, text, noFill, ref tagNext);
        }
        return w.ToString();
    }

    private static void Text(Writer w, string text, bool noFill, ref bool tagNext)
    {
        if (tagNext) { w.Line(text); tagNext = false; return; }
        if (noFill) w.Line(text); else w.Words(text);
    }

    // mdoc macros take other macros as arguments (".Op Fl a Ar file"): flags get their dash, optional parts brackets.
    private static string Mdoc(string[] args, Dictionary<string, string> strings, ref string? name)
    {
        var sb = new StringBuilder();
        var close = new Stack<string>();
        bool flag = false;
        foreach (var a in args)
        {
            string piece;
            switch (a)
            {
                case "Fl": flag = true; continue;
                case "Op" or "Oo": sb.Append(sb.Length > 0 ? " [" : "["); close.Push("]"); continue;
                case "Dq" or "Do": sb.Append(sb.Length > 0 ? " \u201C" : "\u201C"); close.Push("\u201D"); continue;
                case "Sq" or "So" or "Qq": sb.Append(sb.Length > 0 ? " '" : "'"); close.Push("'"); continue;
                case "Pq" or "Po": sb.Append(sb.Length > 0 ? " (" : "("); close.Push(")"); continue;
                case "Oc" or "Dc" or "Sc" or "Pc": if (close.Count > 0) sb.Append(close.Pop()); continue;
                case "Nm": piece = name ?? ""; break;
                case "Ar" or "Cm" or "Em" or "Sy" or "Pa" or "Li" or "Ev" or "Va" or "Dv" or "Ic" or "Xr" or "Ns" or "Ql" or "Tn" or "Er" or "No" or "Ft" or "Fn" or "Fa" or "Xo" or "Xc" or "It": continue;
                default: piece = Inline(a, strings); break;
            }
            if (flag) { piece = "-" + piece; flag = false; }
            bool punct = piece.Length == 1 && ".,;:)]!?".Contains(piece[0], StringComparison.Ordinal);
            if (sb.Length > 0 && !punct && sb[^1] is not ('[' or '(' or '\u201C' or '\'')) sb.Append(' ');
            sb.Append(piece);
        }
        if (flag) sb.Append(sb.Length > 0 ? " -" : "-");
        while (close.Count > 0) sb.Append(close.Pop());
        return sb.ToString();
    }

    /// <summary>The macro name and its arguments (double quotes group words; <c>""</c> is an empty argument).</summary>
    internal static (string Macro, string[] Args) SplitRequest(string rest)
    {
        rest = rest.TrimStart(' ', '\t');
        int comment = rest.IndexOf("\\\"", StringComparison.Ordinal);
        if (comment == 0) return ("\\\"", []);
        if (comment > 0) rest = rest[..comment];
        int end = 0;
        while (end < rest.Length && !char.IsWhiteSpace(rest[end])) end++;
        string macro = rest[..end];
        var args = new List<string>();
        int i = end;
        while (i < rest.Length)
        {
            while (i < rest.Length && char.IsWhiteSpace(rest[i])) i++;
            if (i >= rest.Length) break;
            var sb = new StringBuilder();
            if (rest[i] == '"')
            {
                i++;
                while (i < rest.Length)
                {
                    if (rest[i] == '"') { if (i + 1 < rest.Length && rest[i + 1] == '"') { sb.Append('"'); i += 2; continue; } i++; break; }
                    sb.Append(rest[i++]);
                }
            }
            else
                while (i < rest.Length && !char.IsWhiteSpace(rest[i])) sb.Append(rest[i++]);
            args.Add(sb.ToString());
        }
        return (macro, [.. args]);
    }

    /// <summary>Replaces the escapes of one line of text.</summary>
    internal static string Inline(string s, IReadOnlyDictionary<string, string> strings)
    {
        if (!s.Contains('\\', StringComparison.Ordinal)) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\' || i + 1 >= s.Length) { sb.Append(c); continue; }
            char e = s[++i];
            switch (e)
            {
                case '"' or '#': return sb.ToString();                                   // comment to end of line
                case 'e' or '\\': sb.Append('\\'); break;
                case '-': sb.Append('-'); break;
                case '.': sb.Append('.'); break;
                case ' ' or '~' or '0': sb.Append(' '); break;
                case '&' or '|' or '^' or '%' or ',' or '/' or 'c' or 'u' or 'd' or 'z' or ')' or 'p' or 'r' or 't' or 'a': break;
                case '(': sb.Append(Glyph(Take(s, ref i, 2), strings)); break;
                case '[': sb.Append(Bracketed(Until(s, ref i, ']'), strings)); break;
                case '*': sb.Append(Glyph(Name(s, ref i), strings)); break;
                case 'f' or 'F' or 'n' or 'g' or 'k' or 'm' or 'M' or 'Y': Name(s, ref i); break;
                case 's':
                    if (i + 1 < s.Length && s[i + 1] is '+' or '-') i++;
                    if (i + 1 < s.Length && (s[i + 1] == '(' || s[i + 1] == '[' || char.IsDigit(s[i + 1]))) { if (char.IsDigit(s[i + 1])) { i++; if (i + 1 < s.Length && char.IsDigit(s[i + 1]) && s[i] != '0') i++; } else Name(s, ref i); }
                    break;
                case 'h' or 'v' or 'w' or 'o' or 'l' or 'L' or 'D' or 'X' or 'Z' or 'b' or 'x' or 'C' or 'N' or 'R' or 'A' or 'B' or 'H' or 'S':
                    if (i + 1 < s.Length) { char q = s[++i]; string inner = Until(s, ref i, q); if (e == 'C') sb.Append(Bracketed(inner, strings)); else if (e == 'N' && int.TryParse(inner, out int code) && code is > 31 and < 0x110000) sb.Append(char.ConvertFromUtf32(code)); }
                    break;
                default: sb.Append(e); break;
            }
        }
        return sb.ToString();
    }

    private static string Glyph(string name, IReadOnlyDictionary<string, string> strings) => strings.TryGetValue(name, out var g) ? g : "";

    // \[u00E9] is a Unicode code point; \[em] a named glyph.
    private static string Bracketed(string name, IReadOnlyDictionary<string, string> strings)
    {
        if (name.Length >= 5 && name[0] == 'u' && int.TryParse(name.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp) && cp < 0x110000 && cp is < 0xD800 or > 0xDFFF)
            return char.ConvertFromUtf32(cp);
        return Glyph(name, strings);
    }

    // The name after \f, \*, \n: one character, (xx, or [long name].
    private static string Name(string s, ref int i)
    {
        if (i + 1 >= s.Length) return "";
        char c = s[++i];
        return c == '(' ? Take(s, ref i, 2) : c == '[' ? Until(s, ref i, ']') : c.ToString();
    }

    private static string Take(string s, ref int i, int n)
    {
        int start = i + 1, len = Math.Min(n, s.Length - start);
        i += len;
        return s.Substring(start, len);
    }

    private static string Until(string s, ref int i, char close)
    {
        int start = i + 1, end = s.IndexOf(close, start);
        if (end < 0) { i = s.Length - 1; return s[start..]; }
        i = end;
        return s[start..end];
    }

    private static int Count(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Fills words into paragraphs; lines written with <see cref="Line"/> stand alone.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _out = new();
        private readonly StringBuilder _line = new();

        public void Words(string text)
        {
            foreach (var word in text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (_line.Length > 0) _line.Append(' ');
                _line.Append(word);
            }
        }

        public void Line(string text) { Break(); _line.Append(text.TrimEnd()); Break(); }

        public void Break()
        {
            if (_line.Length == 0) return;
            _out.Append(_line).Append('\n');
            _line.Clear();
        }

        public void Paragraph()
        {
            Break();
            if (_out.Length > 0 && !EndsWithBlank()) _out.Append('\n');
        }

        private bool EndsWithBlank() => _out.Length >= 2 && _out[^1] == '\n' && _out[^2] == '\n';

        public override string ToString() { Break(); return _out.ToString().Trim('\n') + "\n"; }
    }
}
