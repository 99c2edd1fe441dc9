namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// Finds the data shared beside the checkout (<c>../shared/data/mnist</c>), which the project may read
/// but not commit (the official t10k files), by walking up from the test binaries.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Mnist = new(() => Find(Path.Combine("shared", "data", "mnist")));

    /// <summary>The shared MNIST directory, or null when this machine has none.</summary>
    public static string? MnistDir => Mnist.Value;

    /// <summary>The shared MNIST directory; fails the test when absent (use with <see cref="SharedDataFactAttribute"/>).</summary>
    public static string RequireMnistDir() =>
        MnistDir ?? throw new InvalidOperationException("../shared/data/mnist was not found above " + AppContext.BaseDirectory);

    private static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
