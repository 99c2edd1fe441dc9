using DeepGpu.Tensors;
namespace DeepGpu.Data;
// TEMPORARY stand-in until the data branch merges.
public sealed class Dataset(byte[] images, byte[] labels, int count, Shape sampleShape, int classes, string source)
{
    public byte[] Images { get; } = images;
    public byte[] Labels { get; } = labels;
    public int Count { get; } = count;
    public Shape SampleShape { get; } = sampleShape;
    public int Classes { get; } = classes;
    public string Source { get; } = source;
}
public sealed record MnistOptions { public string? DataDir { get; init; } public bool AllowDownload { get; init; } public int ValidationSize { get; init; } = 1000; }
public sealed record MnistData(Dataset Train, Dataset Test, bool TestIsHeldOut, string Description);
public static class Mnist { public static MnistData Load(MnistOptions o) => throw new NotImplementedException(); }
