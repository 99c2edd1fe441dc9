using DeepGpu.Data;
using DeepGpu.Tensors;
using Xunit;

namespace DeepGpu.Tests.Data;

public sealed class DatasetTests
{
    // Five 1x2x2 samples; sample i holds pixels 4i..4i+3 and label i+5 mod 10.
    private static Dataset Five() =>
        new(Enumerable.Range(0, 20).Select(i => (byte)(i * 12)).ToArray(), [5, 6, 7, 8, 9], new Shape(1, 2, 2), source: "five");

    [Fact]
    public void Exposes_counts_and_shapes()
    {
        var set = Five();
        Assert.Equal(5, set.Count);
        Assert.Equal(10, set.Classes);
        Assert.Equal(new Shape(1, 2, 2), set.SampleShape);
        Assert.Equal(new Shape(4), set.FlatShape);
        Assert.Equal("five", set.Source);
        Assert.Equal(new byte[] { 48, 60, 72, 84 }, set.GetImage(1).ToArray());
    }

    [Fact]
    public void Copies_the_arrays_it_is_given()
    {
        var images = new byte[4];
        var labels = new byte[] { 1 };
        var set = new Dataset(images, labels, new Shape(1, 2, 2));
        images[0] = 9;
        labels[0] = 2;
        Assert.Equal(0, set.Images[0]);
        Assert.Equal(1, set.Labels[0]);
    }

    [Fact]
    public void Slice_take_and_split_keep_order()
    {
        var set = Five();

        var slice = set.Slice(1, 2);
        Assert.Equal(new byte[] { 6, 7 }, slice.Labels);
        Assert.Equal(set.Images[4..12], slice.Images);
        Assert.Contains("five", slice.Source);

        Assert.Equal(new byte[] { 5, 6, 7 }, set.Take(3).Labels);

        var (rest, heldOut) = set.Split(2);
        Assert.Equal(new byte[] { 5, 6, 7 }, rest.Labels);
        Assert.Equal(new byte[] { 8, 9 }, heldOut.Labels);
        Assert.Equal(set.Images[12..], heldOut.Images);
        Assert.Equal(set.SampleShape, heldOut.SampleShape);
    }

    [Fact]
    public void Asking_for_more_than_there_is_fails_clearly()
    {
        var set = Five();
        Assert.Contains("five", Assert.Throws<DataException>(() => set.Take(6)).Message);
        Assert.Contains("five", Assert.Throws<DataException>(() => set.Split(5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(-1, 1));
    }

    [Fact]
    public void ToFloat_normalizes_like_the_book()
    {
        var set = new Dataset([0, 1, 128, 255], [3], new Shape(1, 2, 2));
        Assert.Equal(new[] { 0f, 1f / 255f, 128f / 255f, 1f }, set.ToFloat(normalize: true));
        Assert.Equal(new[] { 0f, 1f, 128f, 255f }, set.ToFloat(normalize: false));
    }

    [Fact]
    public void OneHot_is_n_by_classes()
    {
        var set = new Dataset(new byte[3], [2, 0, 1], new Shape(1), classes: 3);
        Assert.Equal(new float[] { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, set.OneHot());
    }

    [Fact]
    public void Constructor_rejects_bad_labels_and_lengths()
    {
        var e = Assert.Throws<DataException>(() => new Dataset(new byte[8], [1, 10], new Shape(1, 2, 2), source: "mine"));
        Assert.Contains("mine", e.Message);
        Assert.Contains("label 10", e.Message);

        e = Assert.Throws<DataException>(() => new Dataset(new byte[7], [1, 2], new Shape(1, 2, 2), source: "mine"));
        Assert.Contains("mine", e.Message);
    }
}
