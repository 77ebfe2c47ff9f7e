using Acr.Numerics;

namespace Acr.Host.Tests;

/// <summary>Small labelled CSV files for CLI tests: Gaussian blobs, one class per label, distinct means.</summary>
internal static class SyntheticCsv
{
    public static string Make(int classes = 4, int rowsPerClass = 60, int features = 5, ulong seed = 1)
    {
        var rng = new SeededRandom(seed);
        var sb = new StringBuilder();
        sb.Append("cls");
        for (var j = 0; j < features; j++)
        {
            sb.Append(",f").Append(j);
        }

        sb.AppendLine();
        for (var c = 0; c < classes; c++)
        {
            for (var r = 0; r < rowsPerClass; r++)
            {
                sb.Append((char)('a' + c));
                for (var j = 0; j < features; j++)
                {
                    var mean = ((c * 7) + (j * 3)) % 5;
                    sb.Append(',').Append((mean + rng.NextNormal()).ToString("R", CultureInfo.InvariantCulture));
                }

                sb.AppendLine();
            }
        }

        return sb.ToString();
    }
}
