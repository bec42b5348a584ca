// SVG plots written by PluginMoE itself for the recipe's report: line charts (loss curves, extension curves),
// grouped bar charts (per-domain perplexity) and heatmaps (routing share, domain x expert). Plain SVG 1.1,
// one <g class="series" data-name="..."> per series so that tests and scripts can find each series; the spread over
// seeds, when given, is drawn as elements of class "spread" (a band, or an error bar for a one-point line; error bars
// on bars; a "± s" under each heatmap cell) that carry their half-width in data-spread.
using System.Globalization;
using System.Security;
using System.Text;

namespace PluginMoE.Core.Recipe;

/// <summary>A named series of (x, y) points, optionally with a spread (shown as a band).</summary>
/// <param name="Name">Legend label.</param>
/// <param name="Points">Points in x order.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points)
{
    /// <summary>Half-width of the spread at each point (same length as <see cref="Points"/>), or null.</summary>
    public IReadOnlyList<double>? Spread { get; init; }
}

/// <summary>Writes small, self-contained SVG charts.</summary>
public static class SvgChart
{
    private const int Width = 640, Height = 400, Left = 70, Right = 160, Top = 40, Bottom = 50;
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>A line chart of <paramref name="series"/>.</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.SelectMany(s => s.Points.Select((p, i) => (p.X, Lo: p.Y - Spread(s, i), Hi: p.Y + Spread(s, i)))).ToList();
        double x0 = all.Count == 0 ? 0 : all.Min(p => p.X), x1 = all.Count == 0 ? 1 : all.Max(p => p.X);
        double y0 = all.Count == 0 ? 0 : all.Min(p => p.Lo), y1 = all.Count == 0 ? 1 : all.Max(p => p.Hi);
        (x0, x1) = Pad(x0, x1, 0);
        (y0, y1) = Pad(y0, y1, 0.05);
        var sb = Open(title);
        Axes(sb, xLabel, yLabel, x0, x1, y0, y1);
        for (int s = 0; s < series.Count; s++)
        {
            var ser = series[s];
            string color = Palette[s % Palette.Length];
            sb.Append(C, $"<g class=\"series\" data-name=\"{Esc(ser.Name)}\">");
            if (ser.Spread is not null && ser.Points.Count > 1)
            {
                var upper = ser.Points.Select((p, i) => string.Create(C, $"{X(p.X, x0, x1):F1},{Y(p.Y + Spread(ser, i), y0, y1):F1}"));
                var lower = ser.Points.Select((p, i) => string.Create(C, $"{X(p.X, x0, x1):F1},{Y(p.Y - Spread(ser, i), y0, y1):F1}")).Reverse();
                sb.Append(C, $"<polygon class=\"spread\" data-spread=\"{string.Join(' ', ser.Points.Select((_, i) => Spread(ser, i).ToString("R", C)))}\" fill=\"{color}\" fill-opacity=\"0.2\" stroke=\"none\" points=\"{string.Join(' ', upper.Concat(lower))}\"/>");
            }
            else if (ser.Spread is not null && ser.Points.Count == 1)
            {
                // One point: its spread as an error bar (a band needs two).
                var (px, py) = ser.Points[0];
                double half = Spread(ser, 0), mid = X(px, x0, x1), top = Y(py + half, y0, y1), bottom = Y(py - half, y0, y1);
                sb.Append(C, $"<path class=\"spread\" data-spread=\"{half:R}\" stroke=\"{color}\" fill=\"none\" d=\"M{mid:F1},{bottom:F1}V{top:F1}M{mid - 4:F1},{top:F1}H{mid + 4:F1}M{mid - 4:F1},{bottom:F1}H{mid + 4:F1}\"/>");
            }
            var pts = ser.Points.Select(p => string.Create(C, $"{X(p.X, x0, x1):F1},{Y(p.Y, y0, y1):F1}"));
            if (ser.Points.Count == 1)
                sb.Append(C, $"<circle cx=\"{X(ser.Points[0].X, x0, x1):F1}\" cy=\"{Y(ser.Points[0].Y, y0, y1):F1}\" r=\"3\" fill=\"{color}\"/>");
            else
                sb.Append(C, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', pts)}\"/>");
            sb.Append("</g>\n");
        }
        Legend(sb, series.Select(s => s.Name).ToList());
        return Close(sb);
    }

    /// <summary>
    /// A grouped bar chart: one group per category, one bar per series (values[series][category]); each bar carries its
    /// value in data-value, and <paramref name="spread"/> (same shape, or null) adds an error bar of ± that half-width.
    /// </summary>
    public static string Bars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<string> seriesNames, double[][] values, double[][]? spread = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(seriesNames);
        ArgumentNullException.ThrowIfNull(values);
        double Half(int s, int c) => spread is not null && s < spread.Length && c < spread[s].Length && double.IsFinite(spread[s][c]) ? spread[s][c] : 0;
        double max = values.SelectMany((v, s) => v.Select((x, c) => x + Half(s, c))).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        (double y0, double y1) = (0, max <= 0 ? 1 : max * 1.05);
        var sb = Open(title);
        Axes(sb, "", yLabel, 0, 1, y0, y1, xTicks: false);
        double group = (Width - Left - Right) / (double)Math.Max(1, categories.Count);
        double bar = group * 0.8 / Math.Max(1, seriesNames.Count);
        for (int c = 0; c < categories.Count; c++)
            sb.Append(C, $"<text x=\"{Left + group * (c + 0.5):F1}\" y=\"{Height - Bottom + 16}\" font-size=\"11\" text-anchor=\"middle\">{Esc(categories[c])}</text>\n");
        for (int s = 0; s < seriesNames.Count; s++)
        {
            sb.Append(C, $"<g class=\"series\" data-name=\"{Esc(seriesNames[s])}\">");
            for (int c = 0; c < categories.Count; c++)
            {
                double v = values[s][c];
                if (!double.IsFinite(v)) continue;
                double x = Left + group * c + group * 0.1 + bar * s, y = Y(v, y0, y1);
                string label = spread is null ? string.Create(C, $"{v:G4}") : string.Create(C, $"{v:G4} ± {Half(s, c):G3}");
                sb.Append(C, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{bar:F1}\" height=\"{Height - Bottom - y:F1}\" fill=\"{Palette[s % Palette.Length]}\" data-category=\"{Esc(categories[c])}\" data-value=\"{v:R}\"><title>{Esc(seriesNames[s])} {Esc(categories[c])}: {label}</title></rect>");
                if (spread is not null)
                {
                    double mid = x + bar / 2, top = Y(v + Half(s, c), y0, y1), bottom = Y(Math.Max(y0, v - Half(s, c)), y0, y1), cap = Math.Min(4, bar / 3);
                    sb.Append(C, $"<path class=\"spread\" data-category=\"{Esc(categories[c])}\" data-spread=\"{Half(s, c):R}\" stroke=\"#000000\" fill=\"none\" d=\"M{mid:F1},{bottom:F1}V{top:F1}M{mid - cap:F1},{top:F1}H{mid + cap:F1}M{mid - cap:F1},{bottom:F1}H{mid + cap:F1}\"/>");
                }
            }
            sb.Append("</g>\n");
        }
        Legend(sb, seriesNames);
        return Close(sb);
    }

    /// <summary>
    /// A heatmap of <paramref name="values"/> (rows x columns, in [0, 1]) with each cell's value written in it, and under
    /// it "± s" from <paramref name="spread"/> (same shape) when given.
    /// </summary>
    public static string Heatmap(string title, IReadOnlyList<string> rows, IReadOnlyList<string> columns, double[,] values, double[,]? spread = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        var sb = Open(title);
        double cw = (Width - Left - Right) / (double)Math.Max(1, columns.Count), ch = (Height - Top - Bottom) / (double)Math.Max(1, rows.Count);
        for (int j = 0; j < columns.Count; j++)
            sb.Append(C, $"<text x=\"{Left + cw * (j + 0.5):F1}\" y=\"{Height - Bottom + 16}\" font-size=\"11\" text-anchor=\"middle\">{Esc(columns[j])}</text>\n");
        for (int i = 0; i < rows.Count; i++)
        {
            sb.Append(C, $"<g class=\"series\" data-name=\"{Esc(rows[i])}\">");
            sb.Append(C, $"<text x=\"{Left - 6}\" y=\"{Top + ch * (i + 0.5) + 4:F1}\" font-size=\"11\" text-anchor=\"end\">{Esc(rows[i])}</text>");
            for (int j = 0; j < columns.Count; j++)
            {
                double v = Math.Clamp(values[i, j], 0, 1);
                int shade = (int)Math.Round(255 * (1 - v));
                string fill = string.Create(C, $"#{shade:X2}{shade:X2}ff");
                sb.Append(C, $"<rect x=\"{Left + cw * j:F1}\" y=\"{Top + ch * i:F1}\" width=\"{cw:F1}\" height=\"{ch:F1}\" fill=\"{fill}\" stroke=\"#ffffff\"/>");
                string ink = v > 0.5 ? "#ffffff" : "#000000";
                sb.Append(C, $"<text x=\"{Left + cw * (j + 0.5):F1}\" y=\"{Top + ch * (i + 0.5) + (spread is null ? 4 : -1):F1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{ink}\" data-value=\"{values[i, j]:R}\">{values[i, j]:F2}</text>");
                if (spread is not null)
                    sb.Append(C, $"<text class=\"spread\" data-spread=\"{spread[i, j]:R}\" x=\"{Left + cw * (j + 0.5):F1}\" y=\"{Top + ch * (i + 0.5) + 10:F1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{ink}\">± {spread[i, j]:F2}</text>");
            }
            sb.Append("</g>\n");
        }
        return Close(sb);
    }

    private static double Spread(ChartSeries s, int i) => s.Spread is { } sp && i < sp.Count ? sp[i] : 0;

    private static (double, double) Pad(double lo, double hi, double fraction)
    {
        if (hi <= lo) return (lo - 1, hi + 1);
        double pad = (hi - lo) * fraction;
        return (lo - pad, hi + pad);
    }

    private static double X(double x, double x0, double x1) => Left + (x - x0) / (x1 - x0) * (Width - Left - Right);

    private static double Y(double y, double y0, double y1) => Height - Bottom - (y - y0) / (y1 - y0) * (Height - Top - Bottom);

    private static StringBuilder Open(string title) => new StringBuilder()
        .Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\">\n")
        .Append(C, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n")
        .Append(C, $"<text x=\"{Width / 2}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{Esc(title)}</text>\n");

    private static string Close(StringBuilder sb) => sb.Append("</svg>\n").ToString();

    private static void Axes(StringBuilder sb, string xLabel, string yLabel, double x0, double x1, double y0, double y1, bool xTicks = true)
    {
        sb.Append(C, $"<g class=\"axes\" stroke=\"#000000\"><line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\"/><line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\"/></g>\n");
        for (int i = 0; i <= 4; i++)
        {
            double y = y0 + (y1 - y0) * i / 4;
            sb.Append(C, $"<text x=\"{Left - 6}\" y=\"{Y(y, y0, y1) + 4:F1}\" font-size=\"10\" text-anchor=\"end\">{y:G4}</text>");
            if (xTicks)
            {
                double x = x0 + (x1 - x0) * i / 4;
                sb.Append(C, $"<text x=\"{X(x, x0, x1):F1}\" y=\"{Height - Bottom + 16}\" font-size=\"10\" text-anchor=\"middle\">{x:G4}</text>");
            }
        }
        sb.Append('\n');
        if (xLabel.Length > 0) sb.Append(C, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" font-size=\"12\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        if (yLabel.Length > 0) sb.Append(C, $"<text x=\"16\" y=\"{(Top + Height - Bottom) / 2}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(Top + Height - Bottom) / 2})\">{Esc(yLabel)}</text>\n");
    }

    private static void Legend(StringBuilder sb, IReadOnlyList<string> names)
    {
        sb.Append("<g class=\"legend\">");
        for (int i = 0; i < names.Count; i++)
        {
            int y = Top + 16 * i;
            sb.Append(C, $"<rect x=\"{Width - Right + 12}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{Palette[i % Palette.Length]}\"/><text x=\"{Width - Right + 28}\" y=\"{y + 9}\" font-size=\"11\">{Esc(names[i])}</text>");
        }
        sb.Append("</g>\n");
    }

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
