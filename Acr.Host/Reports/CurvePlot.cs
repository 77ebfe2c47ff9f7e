using System.Security;
using System.Text;
using Acr.Host.Evaluation;
using Acr.Host.IO;

namespace Acr.Host.Reports;

/// <summary>
/// Writes the averaged ROC and precision–recall curves of an evaluation as self-contained SVG files
/// (no plotting library: axes, grid, one polyline per method, a legend with each method's mean AUROC or AP).
/// </summary>
public static class CurvePlot
{
    private const int Width = 520;
    private const int Height = 440;
    private const int Left = 64;
    private const int Right = 20;
    private const int Top = 44;
    private const int Bottom = 56;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"];

    /// <summary>File name of the ROC plot of one contamination level, e.g. <c>roc-pi0.05.svg</c>.</summary>
    /// <param name="contamination">π.</param>
    public static string RocFileName(double contamination) => $"roc-pi{Format(contamination)}.svg";

    /// <summary>File name of the precision–recall plot of one contamination level, e.g. <c>pr-pi0.05.svg</c>.</summary>
    /// <param name="contamination">π.</param>
    public static string PrecisionRecallFileName(double contamination) => $"pr-pi{Format(contamination)}.svg";

    /// <summary>Writes the averaged ROC curves (with the chance diagonal) to <paramref name="path"/>, atomically.</summary>
    /// <param name="path">Destination.</param>
    /// <param name="contamination">π of the tasks.</param>
    /// <param name="curves">One averaged curve per method.</param>
    public static void WriteRoc(string path, double contamination, IReadOnlyList<AveragedCurve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        Write(path, $"ROC, π = {Format(contamination)} ({curves[0].Tasks} test tasks, vertical average)", "false-positive rate", "true-positive rate",
            curves.Select(c => ($"{c.Method} — mean AUROC {c.MeanAuroc.ToString("F3", CultureInfo.InvariantCulture)}", c.Grid, c.MeanTruePositiveRate)).ToArray(),
            chanceDiagonal: true, legendLeft: false);
    }

    /// <summary>Writes the averaged precision–recall curves to <paramref name="path"/>, atomically.</summary>
    /// <param name="path">Destination.</param>
    /// <param name="contamination">π of the tasks.</param>
    /// <param name="curves">One averaged curve per method.</param>
    public static void WritePrecisionRecall(string path, double contamination, IReadOnlyList<AveragedCurve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        Write(path, $"Precision–recall, π = {Format(contamination)} ({curves[0].Tasks} test tasks, interpolated, averaged)", "recall", "precision",
            curves.Select(c => ($"{c.Method} — mean AP {c.MeanAveragePrecision.ToString("F3", CultureInfo.InvariantCulture)}", c.Grid, c.MeanPrecision)).ToArray(),
            chanceDiagonal: false, legendLeft: true);
    }

    /// <summary>Writes one plot; the legend sits in the bottom-left or bottom-right corner, where such curves leave room.</summary>
    private static void Write(string path, string title, string xLabel, string yLabel, (string Label, double[] X, double[] Y)[] series,
        bool chanceDiagonal, bool legendLeft)
    {
        var inv = CultureInfo.InvariantCulture;
        const double plotWidth = Width - Left - Right;
        const double plotHeight = Height - Top - Bottom;
        string Px(double x) => (Left + (x * plotWidth)).ToString("F1", inv);
        string Py(double y) => (Top + ((1 - y) * plotHeight)).ToString("F1", inv);

        var svg = new StringBuilder();
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(inv, $"<text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">{SecurityElement.Escape(title)}</text>\n");
        for (var k = 0; k <= 5; k++)
        {
            var v = k / 5.0;
            var label = v.ToString("0.0", inv);
            svg.Append(inv, $"<line x1=\"{Px(v)}\" y1=\"{Py(0)}\" x2=\"{Px(v)}\" y2=\"{Py(1)}\" stroke=\"#e0e0e0\"/>\n");
            svg.Append(inv, $"<line x1=\"{Px(0)}\" y1=\"{Py(v)}\" x2=\"{Px(1)}\" y2=\"{Py(v)}\" stroke=\"#e0e0e0\"/>\n");
            svg.Append(inv, $"<text x=\"{Px(v)}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\">{label}</text>\n");
            svg.Append(inv, $"<text x=\"{Left - 8}\" y=\"{Py(v)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{label}</text>\n");
        }

        svg.Append(inv, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"black\"/>\n");
        svg.Append(inv, $"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 14}\" text-anchor=\"middle\">{SecurityElement.Escape(xLabel)}</text>\n");
        svg.Append(inv, $"<text transform=\"translate(18 {Top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{SecurityElement.Escape(yLabel)}</text>\n");
        if (chanceDiagonal)
        {
            svg.Append(inv, $"<line x1=\"{Px(0)}\" y1=\"{Py(0)}\" x2=\"{Px(1)}\" y2=\"{Py(1)}\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>\n");
        }

        const int legendWidth = 206;
        var legendX = legendLeft ? Left + 8 : Left + plotWidth - legendWidth - 8;
        var legendHeight = (series.Length * 18) + 8;
        var legendY = Top + plotHeight - legendHeight - 8;
        for (var s = 0; s < series.Length; s++)
        {
            var (label, x, y) = series[s];
            var color = Colors[s % Colors.Length];
            svg.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
            for (var i = 0; i < x.Length; i++)
            {
                svg.Append(Px(x[i])).Append(',').Append(Py(y[i])).Append(i + 1 < x.Length ? " " : string.Empty);
            }

            svg.Append("\"/>\n");
        }

        svg.Append(inv, $"<rect x=\"{legendX}\" y=\"{legendY}\" width=\"{legendWidth}\" height=\"{legendHeight}\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n");
        for (var s = 0; s < series.Length; s++)
        {
            var ly = legendY + 13 + (s * 18);
            svg.Append(inv, $"<line x1=\"{legendX + 8}\" y1=\"{ly}\" x2=\"{legendX + 30}\" y2=\"{ly}\" stroke=\"{Colors[s % Colors.Length]}\" stroke-width=\"2\"/>\n");
            svg.Append(inv, $"<text x=\"{legendX + 36}\" y=\"{ly}\" dominant-baseline=\"middle\">{SecurityElement.Escape(series[s].Label)}</text>\n");
        }

        svg.Append("</svg>\n");
        AtomicFile.WriteAllText(path, svg.ToString());
    }

    private static string Format(double contamination) => contamination.ToString("0.####", CultureInfo.InvariantCulture);
}
