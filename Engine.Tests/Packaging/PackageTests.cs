using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepGpu.Data;
using DeepGpu.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace DeepGpu.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> into a folder feed, then a new project that adds the DeepGpu package and runs the README's
/// library example for one epoch on the embedded sample. Restore takes the dependencies from the machine's
/// package folder (a fallback folder, so nothing is downloaded) and DeepGpu from the feed, extracting it into a
/// folder of the test's own: the machine's package cache never holds a test build of DeepGpu.
/// </summary>
[Trait("Category", "Package")]
public sealed partial class PackageTests(PackageTests.Feed feed, ITestOutputHelper output) : IClassFixture<PackageTests.Feed>
{
    private static readonly TimeSpan _stepLimit = TimeSpan.FromMinutes(3);

    /// <summary>The packages, packed once for the class from the solution the test run has built.</summary>
    public sealed class Feed : IDisposable
    {
#if DEBUG
        private const string Configuration = "Debug";
#else
        private const string Configuration = "Release";
#endif
        private readonly TempDir _temp = new();

        public Feed()
        {
            Folder = _temp.Sub("feed");
            PackLog = Dotnet(RepositoryRoot(), null, "pack", "DeepGpu.sln", "-c", Configuration, "--no-build", "-o", Folder);
            Packages = Directory.GetFiles(Folder, "*.nupkg").Select(p => Path.GetFileName(p)).Order().ToArray();
            Engine = Path.Combine(Folder, Packages.FirstOrDefault(p => NupkgOf("DeepGpu").IsMatch(p)) ?? "DeepGpu.nupkg");
            Kernels = Path.Combine(Folder, Packages.FirstOrDefault(p => NupkgOf("DeepGpu.Kernels").IsMatch(p)) ?? "DeepGpu.Kernels.nupkg");
        }

        public string Folder { get; }
        public string PackLog { get; }
        public string[] Packages { get; }
        public string Engine { get; }
        public string Kernels { get; }

        public void Dispose() => _temp.Dispose();
    }

    [Fact]
    public void Pack_gives_DeepGpu_and_its_kernels_with_metadata_readme_and_symbols()
    {
        Assert.True(feed.Packages.Length == 2 && File.Exists(feed.Engine) && File.Exists(feed.Kernels),
            $"the feed holds {string.Join(", ", feed.Packages)}\n{feed.PackLog}");
        var (engine, kernels) = (feed.Engine, feed.Kernels);

        var nuspec = Nuspec(engine);
        var version = Element(nuspec, "version");
        Assert.Equal("DeepGpu", Element(nuspec, "id"));
        Assert.Equal(typeof(Mnist).Assembly.GetName().Version!.ToString(3), version);
        Assert.Contains("Deep Learning from Scratch", Element(nuspec, "description"));
        Assert.Equal("MIT AND CC-BY-SA-3.0", Element(nuspec, "license"));
        Assert.Equal("README.md", Element(nuspec, "readme"));
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
        Assert.True(dependencies.TryGetValue("DeepGpu.Kernels", out var kernelsVersion), $"dependencies: {string.Join(", ", dependencies.Keys)}");
        Assert.Equal(version, kernelsVersion);
        AssertHolds(engine, "README.md", "lib/net10.0/DeepGpu.Engine.dll", "lib/net10.0/DeepGpu.Engine.xml");
        AssertHolds(Path.ChangeExtension(engine, ".snupkg"), "lib/net10.0/DeepGpu.Engine.pdb");

        var kernelsNuspec = Nuspec(kernels);
        Assert.Equal("DeepGpu.Kernels", Element(kernelsNuspec, "id"));
        Assert.Equal(version, Element(kernelsNuspec, "version"));
        Assert.Equal("MIT", Element(kernelsNuspec, "license"));
        AssertHolds(kernels, "README.md", "lib/net10.0/DeepGpu.Kernels.dll");
        AssertHolds(Path.ChangeExtension(kernels, ".snupkg"), "lib/net10.0/DeepGpu.Kernels.pdb");
    }

    [Fact]
    public void A_new_project_adds_the_package_and_runs_the_README_example()
    {
        using var temp = new TempDir();
        var engine = feed.Engine;
        var version = Element(Nuspec(engine), "version");

        var app = temp.Sub("app");
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        // Empty build files stop MSBuild from importing any found above the temp folder.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
        // The machine's configured sources stay (NuGet merges this file with the user's); the feed is added.
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="deepgpu-test-feed" value="{feed.Folder}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{MachinePackageFolder()}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        var example = ReadmeExample();
        File.WriteAllText(Path.Combine(app, "Program.cs"), EpochsLine().Replace(example, "Epochs = 1"));
        File.WriteAllText(Path.Combine(app, "PackageReadme.cs"), AsMethod(PackageReadmeExample(engine)));
        WriteSampleFive(Path.Combine(app, "five.png"));

        var packages = temp.Sub("packages");
        Step(app, packages, "add", "app.csproj", "package", "DeepGpu", "--version", version);
        Step(app, packages, "build", "app.csproj", "-c", "Release", "--no-restore");
        var run = Step(app, packages, Path.Combine("bin", "Release", "net10.0", "app.dll"));

        Assert.True(Directory.Exists(Path.Combine(packages, "deepgpu", version)), "DeepGpu was not restored into the test's own package folder");
        var epoch = EpochAccuracy().Match(run);
        Assert.True(epoch.Success, $"no epoch line in:\n{run}");
        var accuracy = double.Parse(epoch.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 80, $"one epoch of the README example reached {accuracy}% (expected 80% or more)\n{run}");
        // After one epoch the net is sure of few 5s, so the 5 must be among the three named, not first.
        var prediction = run.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => PredictionLine().IsMatch(l));
        Assert.True(prediction is not null, $"no prediction line in:\n{run}");
        Assert.True(prediction.StartsWith("5 (", StringComparison.Ordinal) || prediction.Contains(", 5 (", StringComparison.Ordinal), $"five.png: {prediction}");
        Assert.True(File.Exists(Path.Combine(app, "convnet.safetensors")), "the example saved no model");
    }

    private static Regex NupkgOf(string id) => new($@"^{Regex.Escape(id)}\.\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\.nupkg$");

    private static XElement Nuspec(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XElement.Load(stream);
    }

    private static string Element(XElement nuspec, string name) =>
        nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim()
        ?? throw new Xunit.Sdk.XunitException($"the nuspec has no <{name}>");

    private static void AssertHolds(string package, params string[] paths)
    {
        Assert.True(File.Exists(package), $"{Path.GetFileName(package)} was not written");
        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var path in paths) Assert.True(names.Contains(path), $"{Path.GetFileName(package)} lacks {path}; it holds {string.Join(", ", names.Order())}");
    }

    /// <summary>The first C# block of the README's library section.</summary>
    private static string ReadmeExample()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = readme.IndexOf("\n## The library", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no \"## The library\" section");
        return CSharpBlock(readme[section..]) ?? throw new Xunit.Sdk.XunitException("the README's library section has no C# example");
    }

    private static string PackageReadmeExample(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
        return CSharpBlock(reader.ReadToEnd()) ?? throw new Xunit.Sdk.XunitException("the package readme has no C# example");
    }

    private static string? CSharpBlock(string markdown)
    {
        var match = Regex.Match(markdown, "```csharp\n(.*?)```", RegexOptions.Singleline);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>A top-level example as a method, so it compiles beside Program.cs (its using directives go on top).</summary>
    private static string AsMethod(string example)
    {
        var lines = example.Split('\n');
        var directives = lines.Where(l => UsingDirective().IsMatch(l));
        var body = lines.Where(l => !UsingDirective().IsMatch(l));
        return $"{string.Join('\n', directives)}\ninternal static class PackageReadme\n{{\n    public static void Run()\n    {{\n{string.Join('\n', body)}\n    }}\n}}\n";
    }

    /// <summary>A 5 of the sample's validation images (a clearly written one) as a PNG, for the example's <c>five.png</c>.</summary>
    private static void WriteSampleFive(string path)
    {
        const int index = 33;
        var test = Mnist.LoadEmbeddedSample().Test;
        Assert.Equal(5, test.Labels[index]);
        var pixels = test.Images.AsSpan(index * 784, 784).ToArray();
        using var image = Image.LoadPixelData<L8>(pixels, 28, 28);
        image.SaveAsPng(path);
    }

    private static string MachinePackageFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepGpu.sln"))) return dir.FullName;
        }
        throw new Xunit.Sdk.XunitException($"no DeepGpu.sln above {AppContext.BaseDirectory}");
    }

    private string Step(string directory, string packages, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        var text = Dotnet(directory, packages, arguments);
        output.WriteLine($"dotnet {string.Join(' ', arguments)}: {clock.Elapsed.TotalSeconds:F1} s");
        return text;
    }

    /// <summary>
    /// Runs dotnet with build servers off (nothing outlives the test); <paramref name="packages"/>, when given,
    /// is the package folder restore extracts into. Fails with the command's output unless it exits 0.
    /// </summary>
    private static string Dotnet(string directory, string? packages, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (arguments[0] is "pack" or "build")
        {
            info.ArgumentList.Add("--disable-build-servers");
            info.ArgumentList.Add("-nodeReuse:false");
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        if (packages is not null) info.Environment["NUGET_PACKAGES"] = packages;

        var text = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(_stepLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new Xunit.Sdk.XunitException($"dotnet {string.Join(' ', arguments)} ran past {_stepLimit.TotalMinutes} minutes:\n{text}");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
        return text.ToString();
    }

    [GeneratedRegex(@"Epochs = \d+")]
    private static partial Regex EpochsLine();

    [GeneratedRegex(@"epoch 1\b.*?(\d+[.,]\d+)\s?%")]
    private static partial Regex EpochAccuracy();

    [GeneratedRegex(@"^\d \(\d+(\.\d+)?%\)")]
    private static partial Regex PredictionLine();

    [GeneratedRegex(@"^using [A-Za-z_][A-Za-z0-9_.]*;\s*$")]
    private static partial Regex UsingDirective();
}
