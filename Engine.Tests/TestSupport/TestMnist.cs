using DeepGpu.Data;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// The official MNIST test set, which the repository may read but not ship. Its folder comes from the
/// <c>DEEPGPU_TEST_MNIST</c> environment variable; tests that need it skip, with the reason, where it is unset
/// or lacks the t10k files.
/// </summary>
public static class TestMnist
{
    public const string Variable = "DEEPGPU_TEST_MNIST";

    private static readonly string[] _files = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    private static readonly Lazy<(string? Dir, string Reason)> _found = new(Find);

    /// <summary>The folder holding the official test files, or null.</summary>
    public static string? Dir => _found.Value.Dir;

    /// <summary>Why <see cref="Dir"/> is null, as a skip reason.</summary>
    public static string MissingReason => _found.Value.Reason;

    /// <summary>The folder; fails the test when absent (use with <see cref="OfficialTestSetFactAttribute"/>).</summary>
    public static string RequireDir() => Dir ?? throw new InvalidOperationException(MissingReason);

    /// <summary>The official 10,000-image test set.</summary>
    public static Dataset LoadTestSet()
    {
        var dir = RequireDir();
        return IdxReader.ReadDataset(Path.Combine(dir, _files[0]), Path.Combine(dir, _files[1]), Mnist.Classes, "official MNIST test set");
    }

    /// <summary>All 10,000 images of the embedded sample for training, scored on the official test set.</summary>
    public static MnistData SampleWithOfficialTest()
    {
        var sample = Mnist.LoadEmbeddedSample(validationSize: 1);
        var train = new Dataset([.. sample.Train.Images, .. sample.Test.Images], [.. sample.Train.Labels, .. sample.Test.Labels],
            sample.Train.SampleShape, Mnist.Classes, "embedded MNIST sample");
        return new MnistData(train, LoadTestSet(), TestIsHeldOut: false, "embedded sample, official test set", []);
    }

    private static (string?, string) Find()
    {
        var dir = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(dir))
        {
            return (null, $"needs the official MNIST test set: set {Variable} to the folder holding {string.Join(" and ", _files)}");
        }
        var missing = _files.Where(f => !File.Exists(Path.Combine(dir, f))).ToList();
        return missing.Count == 0
            ? (dir, "")
            : (null, $"{Variable} is {dir}, which lacks {string.Join(" and ", missing)}");
    }
}
