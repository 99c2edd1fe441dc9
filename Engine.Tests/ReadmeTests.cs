using DeepGpu.Data;

namespace DeepGpu.Tests;

/// <summary>The README's examples work for a reader who has only the repository.</summary>
public sealed class ReadmeTests
{
    private static string Readme()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepGpu.sln"))) dir = dir.Parent;
        Assert.True(dir is not null, $"no DeepGpu.sln above {AppContext.BaseDirectory}");
        return File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
    }

    [Fact]
    public void The_library_example_trains_on_the_embedded_sample()
    {
        var readme = Readme();
        var section = readme[readme.IndexOf("## The library", StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp", StringComparison.Ordinal);
        var code = section[start..section.IndexOf("```", start + 3, StringComparison.Ordinal)];
        var load = code.Split('\n').Single(l => l.Contains("var mnist =", StringComparison.Ordinal));
        var statement = load.Split("//")[0];
        // A folder such as data/mnist is not in a fresh clone: the example must run without one.
        Assert.Contains("Mnist.LoadEmbeddedSample()", statement);
        var data = Mnist.LoadEmbeddedSample();
        Assert.True(data.Train.Count >= 9000, $"{data.Train.Count} training images");
    }
}
