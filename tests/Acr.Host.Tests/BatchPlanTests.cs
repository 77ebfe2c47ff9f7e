using Acr.Host.Scoring.Streaming;
using Acr.Numerics;

namespace Acr.Host.Tests;

/// <summary>The batching rule (<see cref="BatchPlan"/>) and the fast float parser the streaming scorer relies on.</summary>
public class BatchPlanTests
{
    [Theory]
    [InlineData(2, 256)]
    [InlineData(3, 256)]
    [InlineData(255, 256)]
    [InlineData(257, 256)]
    [InlineData(1000, 256)]
    [InlineData(65536, 256)]
    [InlineData(7, 2)]
    [InlineData(5, 3)]
    public void Shuffled_windows_are_cut_into_near_equal_batches_of_at_most_the_batch_size(int rows, int batchSize)
    {
        var lengths = BatchPlan.BatchLengths(rows, batchSize, ScoringOrder.Shuffle);
        Assert.Equal(rows, lengths.Sum());
        Assert.All(lengths, l => Assert.InRange(l, 2, batchSize == 2 ? 3 : batchSize));
        Assert.InRange(lengths.Max() - lengths.Min(), 0, 1);
        if (rows >= batchSize && batchSize > 2)
        {
            Assert.All(lengths, l => Assert.True(l >= batchSize / 2));
        }
    }

    [Fact]
    public void File_order_keeps_full_batches_and_merges_a_one_row_remnant()
    {
        Assert.Equal([64, 64, 8], BatchPlan.BatchLengths(136, 64, ScoringOrder.File));
        Assert.Equal([64, 65], BatchPlan.BatchLengths(129, 64, ScoringOrder.File));
    }

    [Fact]
    public void Windows_leave_no_small_remnant_and_positions_are_seeded_permutations()
    {
        Assert.Equal([1000, 1000, 1100], BatchPlan.Windows(3100, 1000, 100));
        Assert.Equal([1000, 1000, 101], BatchPlan.Windows(2101, 1000, 100));
        Assert.Equal([1100], BatchPlan.Windows(1100, 1000, 100));
        var a = new int[500];
        var b = new int[500];
        var c = new int[500];
        BatchPlan.Positions(a, ScoringOrder.Shuffle, 1, 0, 3);
        BatchPlan.Positions(b, ScoringOrder.Shuffle, 1, 0, 3);
        BatchPlan.Positions(c, ScoringOrder.Shuffle, 1, 0, 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Enumerable.Range(0, 500), a.Order());
        BatchPlan.Positions(a, ScoringOrder.File, 1, 0, 3);
        Assert.Equal(Enumerable.Range(0, 500), a);
    }

    [Fact]
    public void A_window_is_capped_by_its_feature_values_but_holds_a_batch()
    {
        Assert.Equal(65536, BatchPlan.WindowRows(256, 256, 20));
        Assert.Equal(21248, BatchPlan.WindowRows(256, 256, 784)); // 83 batches: 2^24 values / (784 × 256)
        Assert.Equal(1_000_000, BatchPlan.WindowRows(1_000_000, 256, 784));
    }

    [Fact]
    public void Fast_float_parsing_gives_the_bits_of_float_TryParse()
    {
        var rng = new SeededRandom(11);
        var cases = new List<string>
        {
            "0", "-0", "+1", "1.", ".5", "-.5", "1e5", "1E-5", "3.4028235e38", "3.4028236e38", "1e39", "1.17549435e-38", "1e-45", "1e-50",
            "16777217", "0.1", "123456789012345678901", "1234567890123456789", "9007199254740993", "0.000000000000000000000001", "1e", "e5", "-", ".", "1.2.3",
            " 1", "1 ", "NaN", "Infinity", "-∞", "0x10", "1,5", "1_0", "00000000000000000000000001.5",
        };

        // Halfway cases: the exact midpoint between two floats, and its neighbours in the last decimal digit.
        for (var i = 0; i < 200; i++)
        {
            var f = (float)(rng.NextDouble() * Math.Pow(10, rng.NextInt(20) - 10));
            var mid = ((double)f + BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(f) + 1)) / 2;
            cases.Add(mid.ToString("R", CultureInfo.InvariantCulture));
            cases.Add(mid.ToString("E16", CultureInfo.InvariantCulture));
            cases.Add(f.ToString("R", CultureInfo.InvariantCulture));
            cases.Add((rng.NextNormal() * 1000).ToString("F" + rng.NextInt(12), CultureInfo.InvariantCulture));
            cases.Add(rng.NextNormal().ToString("E" + rng.NextInt(18), CultureInfo.InvariantCulture));
        }

        foreach (var text in cases)
        {
            var expectedOk = float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var expected);
            var ok = FastFloat.TryParse(text, out var value);
            Assert.True(expectedOk == ok, text);
            if (ok)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(value), $"{text}: {expected:R} vs {value:R}");
            }
        }
    }
}
