using System.Security.Cryptography;
using DeepGpu.Data;
using DeepGpu.Tensors;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Data;

public sealed class MnistTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // Options that never see the real environment or home directory.
    private MnistOptions Isolated(string? dataDir = null, string env = "", string? cache = null) => new()
    {
        DataDir = dataDir,
        EnvironmentDataDir = env,
        CacheDir = cache ?? _tmp.File("no-cache"),
        ValidationSize = 2,
    };

    [Fact]
    public void Embedded_sample_holds_10000_images_with_the_last_1000_held_out()
    {
        var mnist = Mnist.LoadEmbeddedSample();

        Assert.True(mnist.TestIsHeldOut);
        Assert.Equal(9000, mnist.Train.Count);
        Assert.Equal(1000, mnist.Test.Count);
        Assert.Equal(new Shape(1, 28, 28), mnist.Train.SampleShape);
        Assert.Equal(10, mnist.Train.Classes);
        Assert.Equal(9000 * 784, mnist.Train.Images.Length);
        Assert.Equal(5, mnist.Train.Labels[0]); // the first MNIST training digit is a 5
        Assert.Contains("embedded", mnist.Description);
        Assert.Contains("no test files: holding out the last 1000 of 10000 training images for validation", mnist.Description);
    }

    [Theory]
    [InlineData("train-images-idx3-ubyte.gz", "3ef602e995727b0a9aa7f5ddd860650f6d281e99ba21a746d1bfa6fea4a7f4d8")]
    [InlineData("train-labels-idx1-ubyte.gz", "dccde8b3c99723584f8090cef581b2e49d6be36b682abadf5a414714b48cf7ea")]
    public void Embedded_sample_is_the_published_first_10000_training_images(string file, string sha256)
    {
        // The sample's published SHA-256: the embedded bytes are exactly the distributed files.
        using var stream = typeof(Mnist).Assembly.GetManifestResourceStream("DeepGpu.Data.Sample." + file)!;
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    [OfficialTestSetFact]
    public void Loads_the_official_test_set_beside_the_training_files()
    {
        // A directory laid out as MNIST ships: the sample's training files and the official test files.
        var dir = _tmp.File("mnist");
        Directory.CreateDirectory(dir);
        foreach (var file in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz" })
        {
            using var from = typeof(Mnist).Assembly.GetManifestResourceStream("DeepGpu.Data.Sample." + file)!;
            using var to = File.Create(Path.Combine(dir, file));
            from.CopyTo(to);
        }
        foreach (var file in Directory.GetFiles(TestMnist.RequireDir(), "t10k-*")) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var mnist = Mnist.LoadDirectory(dir);

        Assert.False(mnist.TestIsHeldOut);
        Assert.Equal(10000, mnist.Train.Count);
        Assert.Equal(10000, mnist.Test.Count);
        Assert.Equal(10000 * 784, mnist.Test.Images.Length);
        Assert.Equal(7, mnist.Test.Labels[0]); // the first MNIST test digit is a 7
        Assert.Equal(new Shape(1, 28, 28), mnist.Test.SampleShape);
        Assert.Contains("10000 training and 10000 test images of 28x28", mnist.Description);
    }

    [Fact]
    public void Named_directory_wins_over_environment_and_cache()
    {
        IdxFiles.WriteSet(_tmp.File("named"), 6, 3, firstLabel: 1);
        IdxFiles.WriteSet(_tmp.File("env"), 6, 3, firstLabel: 2);
        IdxFiles.WriteSet(_tmp.File("cache"), 6, 3, firstLabel: 3);

        var mnist = Mnist.Load(Isolated(_tmp.File("named"), env: _tmp.File("env"), cache: _tmp.File("cache")));

        Assert.Equal(1, mnist.Train.Labels[0]);
        Assert.False(mnist.TestIsHeldOut);
        Assert.Equal(3, mnist.Test.Count);
        Assert.Contains(_tmp.File("named"), mnist.Description);
    }

    [Fact]
    public void Environment_directory_comes_before_the_cache()
    {
        IdxFiles.WriteSet(_tmp.File("env"), 6, 3, firstLabel: 2);
        IdxFiles.WriteSet(_tmp.File("cache"), 6, 3, firstLabel: 3);

        var mnist = Mnist.Load(Isolated(env: _tmp.File("env"), cache: _tmp.File("cache")));

        Assert.Equal(2, mnist.Train.Labels[0]);
        Assert.Contains("DEEPGPU_DATA", mnist.Description);
        Assert.Equal($"DEEPGPU_DATA {_tmp.File("env")}: used", mnist.Searched[^1]);
    }

    [Fact]
    public void Cache_is_used_when_the_environment_has_no_data()
    {
        Directory.CreateDirectory(_tmp.File("empty-env"));
        IdxFiles.WriteSet(_tmp.File("cache"), 6, gzip: false, firstLabel: 3);

        var mnist = Mnist.Load(Isolated(env: _tmp.File("empty-env"), cache: _tmp.File("cache")));

        Assert.Equal(3, mnist.Train.Labels[0]);
        Assert.True(mnist.TestIsHeldOut);
        Assert.Equal(4, mnist.Train.Count);
        Assert.Equal(2, mnist.Test.Count);
        Assert.Equal(new byte[] { 7, 8 }, mnist.Test.Labels); // the last two training labels (3..8)
        Assert.Contains("no test files: holding out the last 2 of 6 training images for validation", mnist.Description);
        Assert.Contains("no training files", mnist.Searched[0]);
    }

    [Fact]
    public void Missing_named_directory_lists_every_path_looked_at()
    {
        var dir = _tmp.File("missing");

        var e = Assert.Throws<DataException>(() => Mnist.Load(Isolated(dir)));

        string P(string name) => Path.Combine(dir, name);
        Assert.Equal(
            $"The data directory {dir} does not exist: looked for {P("train-images-idx3-ubyte.gz")}, {P("train-images-idx3-ubyte")}, "
            + $"{P("train-labels-idx1-ubyte.gz")} and {P("train-labels-idx1-ubyte")}.",
            e.Message);
    }

    [Fact]
    public void Named_directory_without_files_is_an_error_not_a_fallback()
    {
        var dir = _tmp.Sub("empty");
        IdxFiles.WriteSet(_tmp.File("cache"), 6, 3);

        var e = Assert.Throws<DataException>(() => Mnist.Load(Isolated(dir, cache: _tmp.File("cache"))));

        Assert.StartsWith($"The data directory {dir} has no MNIST training files: looked for", e.Message);
        Assert.Contains(Path.Combine(dir, "train-labels-idx1-ubyte"), e.Message);
    }

    [Fact]
    public void Nothing_anywhere_falls_back_to_the_embedded_sample_and_says_so()
    {
        var mnist = Mnist.Load(new MnistOptions { EnvironmentDataDir = _tmp.File("no-env"), CacheDir = _tmp.File("no-cache") });

        Assert.True(mnist.TestIsHeldOut);
        Assert.Equal(9000, mnist.Train.Count);
        Assert.Contains("embedded", mnist.Description);
        Assert.Contains(_tmp.File("no-cache"), mnist.Description);
        Assert.Contains("no test files: holding out the last 1000 of 10000 training images for validation", mnist.Description);
        Assert.Equal("embedded sample: used", mnist.Searched[^1]);
        Assert.Contains(mnist.Searched, s => s.Contains("download: not allowed"));
    }

    [Fact]
    public void Corrupt_file_on_the_way_is_an_error_naming_it()
    {
        var env = _tmp.File("env");
        IdxFiles.WriteSet(env, 6, 3);
        var labels = Path.Combine(env, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labels, IdxFiles.Gzip(IdxFiles.Labels([1, 2])));
        IdxFiles.WriteSet(_tmp.File("cache"), 6, 3);

        var e = Assert.Throws<DataException>(() => Mnist.Load(Isolated(env: env, cache: _tmp.File("cache"))));

        Assert.Contains(labels, e.Message);
    }

    [Fact]
    public void Half_a_pair_of_files_is_an_error()
    {
        var cache = _tmp.File("cache");
        IdxFiles.WriteSet(cache, 6);
        File.Delete(Path.Combine(cache, "train-labels-idx1-ubyte.gz"));

        var e = Assert.Throws<DataException>(() => Mnist.Load(Isolated(cache: cache)));

        Assert.Equal($"{cache} is incomplete: it has {Path.Combine(cache, "train-images-idx3-ubyte.gz")} but neither train-labels-idx1-ubyte.gz nor train-labels-idx1-ubyte.", e.Message);
    }

    [Fact]
    public void Too_few_images_to_hold_out_is_an_error()
    {
        var dir = _tmp.File("small");
        IdxFiles.WriteSet(dir, 2);

        var e = Assert.Throws<DataException>(() => Mnist.Load(Isolated(dir)));

        Assert.Contains(dir, e.Message);
        Assert.Contains("too few to hold out 2", e.Message);
    }

    [Fact]
    public async Task Allowed_download_fills_the_cache_and_loads_it()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["train-images-idx3-ubyte.gz"] = IdxFiles.Gzip(IdxFiles.Images(6)),
            ["train-labels-idx1-ubyte.gz"] = IdxFiles.Gzip(IdxFiles.Labels(IdxFiles.LabelValues(6, 4))),
            ["t10k-images-idx3-ubyte.gz"] = IdxFiles.Gzip(IdxFiles.Images(3)),
            ["t10k-labels-idx1-ubyte.gz"] = IdxFiles.Gzip(IdxFiles.Labels(IdxFiles.LabelValues(3))),
        };
        using var server = new LocalHttpServer();
        foreach (var (name, bytes) in files) server.Map("m/" + name, new LocalHttpServer.Route(bytes));
        using var http = new HttpClient();
        var table = files.Select(f => new KnownFile(f.Key, f.Value.Length, Convert.ToHexStringLower(MD5.HashData(f.Value))));
        var cache = _tmp.File("cache");
        long last = 0;

        // Async, so no test thread blocks while the download's continuations wait for the thread pool.
        var mnist = await Mnist.LoadAsync(Isolated(cache: cache) with
        {
            AllowDownload = true,
            Downloader = new MnistDownloader(http, [new Uri(server.BaseUri, "m/")], table),
            DownloadProgress = new SyncProgress(b => last = b),
        });

        Assert.Equal(4, mnist.Train.Labels[0]);
        Assert.Equal(3, mnist.Test.Count);
        Assert.Contains("downloaded", mnist.Description);
        Assert.Equal(files.Values.Sum(b => (long)b.Length), last);
        Assert.True(Mnist.HasData(cache));
    }

    [Fact]
    public void Default_cache_is_under_the_user_cache()
    {
        Assert.EndsWith(Path.Combine("deepgpu", "mnist"), Mnist.DefaultCacheDir);
        Assert.Throws<DataException>(() => Mnist.Load(Isolated(" ")));
    }

    // Progress<T> posts to the thread pool; this one reports inline so the test sees the last value.
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
