using DeepGpu.Tensors;

namespace DeepGpu.Data;

/// <summary>
/// An immutable set of labelled images kept as the raw bytes of the files (uint8, NCHW), so the whole
/// set can be uploaded once and converted on the device; <see cref="ToFloat"/> and <see cref="OneHot"/>
/// give the book loader's float forms when a host copy is wanted.
/// </summary>
public sealed class Dataset
{
    private readonly byte[] _images;
    private readonly byte[] _labels;

    /// <summary>
    /// Makes a data set from copies of <paramref name="images"/> (<c>N * sampleShape.Size</c> bytes, NCHW) and
    /// <paramref name="labels"/> (N class indices, each below <paramref name="classes"/>).
    /// </summary>
    public Dataset(byte[] images, byte[] labels, Shape sampleShape, int classes = 10, string source = "in-memory data")
        : this(images, labels, sampleShape, classes, source, copy: true)
    {
    }

    // copy: false takes ownership of arrays nobody else holds (the reader's, a slice's), saving a copy of the set.
    internal Dataset(byte[] images, byte[] labels, Shape sampleShape, int classes, string source, bool copy)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (sampleShape.Rank == 0) throw new ArgumentException("The sample shape must have at least one dimension.", nameof(sampleShape));
        if ((long)labels.Length * sampleShape.Size != images.Length)
        {
            throw new DataException($"{source} has {images.Length} image bytes for {labels.Length} labels, but {labels.Length} samples of {sampleShape} need {(long)labels.Length * sampleShape.Size}.");
        }
        var bad = FirstLabelAtOrAbove(labels, classes);
        if (bad >= 0)
        {
            throw new DataException($"{source} has label {labels[bad]} at index {bad}, but labels must be below {classes}.");
        }
        _images = copy ? (byte[])images.Clone() : images;
        _labels = copy ? (byte[])labels.Clone() : labels;
        SampleShape = sampleShape;
        Classes = classes;
        Source = source;
    }

    /// <summary>All pixels, sample after sample, NCHW, values 0..255. Shared, not copied: do not modify it.</summary>
    public byte[] Images => _images;

    /// <summary>One class index per sample. Shared, not copied: do not modify it.</summary>
    public byte[] Labels => _labels;

    /// <summary>Number of samples.</summary>
    public int Count => _labels.Length;

    /// <summary>Shape of one sample, [C, H, W]: [1, 28, 28] for MNIST.</summary>
    public Shape SampleShape { get; }

    /// <summary>The same sample seen as a flat vector ([784] for MNIST); flattening is only a view, the bytes do not change.</summary>
    public Shape FlatShape => new(SampleShape.Size);

    /// <summary>Number of classes; every label is below it.</summary>
    public int Classes { get; }

    /// <summary>Where the samples came from (a directory, a file, the embedded sample), for messages.</summary>
    public string Source { get; }

    /// <summary>The pixels of one sample.</summary>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var size = SampleShape.Size;
        return _images.AsSpan(index * size, size);
    }

    /// <summary>Samples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1, copied.</summary>
    public Dataset Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count - start);
        var size = SampleShape.Size;
        var images = _images.AsSpan(start * size, count * size).ToArray();
        var labels = _labels.AsSpan(start, count).ToArray();
        var source = start == 0 && count == Count ? Source : $"{Source} (samples {start} to {start + count - 1})";
        return new Dataset(images, labels, SampleShape, Classes, source, copy: false);
    }

    /// <summary>The first <paramref name="count"/> samples (the book's small-subset experiments).</summary>
    /// <exception cref="DataException">The set holds fewer than <paramref name="count"/> samples.</exception>
    public Dataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > Count) throw new DataException($"{Source} holds {Count} samples, fewer than the {count} asked for.");
        return Slice(0, count);
    }

    /// <summary>
    /// Splits off the last <paramref name="holdOut"/> samples, so the split is the same on every run and
    /// every machine without a seed.
    /// </summary>
    /// <exception cref="DataException">Nothing would be left to train on.</exception>
    public (Dataset Remaining, Dataset HeldOut) Split(int holdOut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(holdOut);
        if (holdOut >= Count)
        {
            throw new DataException($"{Source} holds {Count} samples, too few to hold out {holdOut} and keep some for training.");
        }
        return (Slice(0, Count - holdOut), Slice(Count - holdOut, holdOut));
    }

    /// <summary>
    /// The pixels as floats, NCHW: divided by 255 when <paramref name="normalize"/> (the book's
    /// <c>normalize=True</c>, computed as <c>x / 255f</c> like NumPy's float32 division), else 0..255.
    /// </summary>
    public float[] ToFloat(bool normalize)
    {
        var result = new float[_images.Length];
        if (normalize)
        {
            for (var i = 0; i < result.Length; i++) result[i] = _images[i] / 255f;
        }
        else
        {
            for (var i = 0; i < result.Length; i++) result[i] = _images[i];
        }
        return result;
    }

    /// <summary>The labels one-hot encoded, row-major N x <see cref="Classes"/> (the book's <c>one_hot_label=True</c>).</summary>
    public float[] OneHot()
    {
        var result = new float[(long)Count * Classes];
        for (var i = 0; i < Count; i++) result[(long)i * Classes + _labels[i]] = 1f;
        return result;
    }

    public override string ToString() => $"{Count} samples of {SampleShape} in {Classes} classes from {Source}";

    internal static int FirstLabelAtOrAbove(ReadOnlySpan<byte> labels, int classes)
    {
        if (classes > byte.MaxValue) return -1;
        return labels.IndexOfAnyInRange((byte)classes, byte.MaxValue);
    }
}
