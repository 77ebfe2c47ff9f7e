namespace Acr.Host.Tests;

public class TabularDatasetTests
{
    private static TabularDataset Sample() => new(
        [1, 2, 3, 4, 5, 6],
        rows: 3,
        columns: 2,
        ["a", "b"],
        ["b", "B", "a"],
        ["g1", "g1", "g2"],
        "sample");

    [Fact]
    public void SelectRows_copies_features_labels_and_groups_in_order()
    {
        TabularDataset picked = Sample().SelectRows([2, 0, 2]);
        Assert.Equal(3, picked.Rows);
        Assert.Equal([5f, 6f, 1f, 2f, 5f, 6f], picked.Features);
        Assert.Equal(["a", "b", "a"], picked.Labels!);
        Assert.Equal(["g2", "g1", "g2"], picked.Groups!);
        Assert.Equal(["a", "b"], picked.FeatureNames);
        Assert.Equal("sample", picked.Source);
        Assert.Equal(0, Sample().SelectRows([]).Rows);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().SelectRows([3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample().SelectRows([-1]));
    }

    [Fact]
    public void DistinctLabels_are_sorted_ordinally()
    {
        Assert.Equal(["B", "a", "b"], Sample().DistinctLabels());
        var unlabeled = new TabularDataset([1], 1, 1, ["a"], null, null, "u");
        Assert.Contains("no label column", Assert.Throws<AcrDataException>(() => unlabeled.DistinctLabels()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetRow_and_size_validation()
    {
        Assert.Equal([3f, 4f], Sample().GetRow(1).ToArray());
        Assert.Throws<ArgumentException>(() => new TabularDataset([1, 2, 3], 2, 2, ["a", "b"], null, null, "x"));
        Assert.Throws<ArgumentException>(() => new TabularDataset([1, 2], 1, 2, ["a"], null, null, "x"));
        Assert.Throws<ArgumentException>(() => new TabularDataset([1, 2], 1, 2, ["a", "b"], ["x", "y"], null, "x"));
    }
}
