using System.Security.Cryptography;
using DeepGpu.Data;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Data;

public sealed class MnistDownloaderTests : IDisposable
{
    private const string Name = "train-labels-idx1-ubyte.gz";

    // Incompressible, and large enough to arrive in several reads so a cut lands mid-file.
    private static readonly byte[] _good = RandomBytes(200_000);
    private static readonly KnownFile _goodFile = new(Name, _good.Length, Convert.ToHexStringLower(MD5.HashData(_good)));

    private readonly TempDir _tmp = new();
    private readonly LocalHttpServer _server = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public MnistDownloaderTests()
    {
        _server.Map($"good/{Name}", new LocalHttpServer.Route(_good));
        _server.Map($"corrupt/{Name}", new LocalHttpServer.Route(CorruptedCopy()));
        _server.Map($"cut/{Name}", new LocalHttpServer.Route(_good, SendBytes: _good.Length / 2));
        _server.Map($"hang/{Name}", new LocalHttpServer.Route(_good, SendBytes: 100, HangAfterSending: true));
        _server.Map($"long/{Name}", new LocalHttpServer.Route([.. _good, 0]));
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _tmp.Dispose();
    }

    private Uri Mirror(string name) => new(_server.BaseUri, name + "/");

    // A short stall timeout only where a stall is the point: on a loaded machine a late timer could
    // otherwise cut a healthy download.
    private MnistDownloader Downloader(params string[] mirrors) =>
        new(_http, mirrors.Select(Mirror), [_goodFile])
        {
            StallTimeout = mirrors.Contains("hang") ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(10),
        };

    private string[] FilesIn(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).ToArray()!;

    [Fact]
    public async Task Good_download_lands_under_its_name()
    {
        var dir = _tmp.File("out");
        var reports = new List<long>();

        await Downloader("good").DownloadAsync(dir, new SyncProgress(reports.Add));

        Assert.Equal(_good, File.ReadAllBytes(Path.Combine(dir, Name)));
        Assert.Equal([Name], FilesIn(dir));
        Assert.Equal(_good.Length, reports[^1]);
        Assert.True(await MnistDownloader.IsIntactAsync(Path.Combine(dir, Name), _goodFile));
    }

    [Theory]
    [InlineData("corrupt", "MD5")]
    [InlineData("cut", "closed after")]
    [InlineData("hang", "nothing arrived")]
    [InlineData("long", "announced")]
    [InlineData("missing", "404")]
    public async Task Bad_download_leaves_nothing_and_keeps_an_existing_file(string mirror, string reason)
    {
        var dir = _tmp.Sub("out");
        var existing = Path.Combine(dir, Name);
        var mine = "a file the user already had"u8.ToArray();
        File.WriteAllBytes(existing, mine);

        var e = await Assert.ThrowsAsync<DataException>(() => Downloader(mirror).DownloadFileAsync(_goodFile, dir));

        Assert.Contains(Name, e.Message);
        Assert.Contains(Mirror(mirror) + Name, e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Equal(mine, File.ReadAllBytes(existing));
        Assert.Equal([Name], FilesIn(dir)); // no .part left behind
    }

    [Theory]
    [InlineData("corrupt")]
    [InlineData("cut")]
    public async Task Bad_download_into_an_empty_directory_leaves_it_empty(string mirror)
    {
        var dir = _tmp.Sub("out");

        await Assert.ThrowsAsync<DataException>(() => Downloader(mirror).DownloadAsync(dir));

        Assert.Empty(FilesIn(dir));
    }

    [Fact]
    public async Task Next_mirror_is_tried_when_the_first_fails()
    {
        var dir = _tmp.File("out");

        await Downloader("corrupt", "good").DownloadAsync(dir);

        Assert.Equal(_good, File.ReadAllBytes(Path.Combine(dir, Name)));
        Assert.Equal([Name], FilesIn(dir));
        Assert.Equal(1, _server.Hits($"corrupt/{Name}"));
    }

    [Fact]
    public async Task Final_failure_says_which_urls_were_tried_and_why()
    {
        var dir = _tmp.File("out");

        var e = await Assert.ThrowsAsync<DataException>(() => Downloader("corrupt", "cut").DownloadAsync(dir));

        var md5 = Convert.ToHexStringLower(MD5.HashData(CorruptedCopy()));
        Assert.Equal(
            $"Could not download {Name} into {dir}: tried {Mirror("corrupt")}{Name} (its MD5 is {md5}, not the published {_goodFile.Md5}) "
            + $"and {Mirror("cut")}{Name} (the connection closed after {_good.Length / 2} of {_good.Length} bytes).",
            e.Message);
    }

    [Fact]
    public async Task Intact_files_are_not_downloaded_again()
    {
        var dir = _tmp.Sub("out");
        File.WriteAllBytes(Path.Combine(dir, Name), _good);

        await Downloader("good").DownloadAsync(dir);

        Assert.Equal(0, _server.Hits($"good/{Name}"));
    }

    [Fact]
    public async Task A_damaged_file_is_replaced_by_a_good_download()
    {
        var dir = _tmp.Sub("out");
        File.WriteAllBytes(Path.Combine(dir, Name), _good[..10]);

        await Downloader("good").DownloadAsync(dir);

        Assert.Equal(_good, File.ReadAllBytes(Path.Combine(dir, Name)));
    }

    [Fact]
    public async Task Cancellation_is_not_a_mirror_failure()
    {
        var dir = _tmp.Sub("out");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var downloader = new MnistDownloader(_http, [Mirror("hang"), Mirror("good")], [_goodFile]) { StallTimeout = TimeSpan.FromSeconds(10) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => downloader.DownloadAsync(dir, cancellationToken: cts.Token));

        Assert.Empty(FilesIn(dir));
        Assert.Equal(0, _server.Hits($"good/{Name}"));
    }

    [Fact]
    public void Defaults_are_the_official_files_and_mirrors()
    {
        var d = new MnistDownloader(_http);
        Assert.Equal(4, d.Files.Count);
        Assert.Equal("f68b3c2dcbeaaa9fbdd348bbdeb94873", d.Files.Single(f => f.Name == "train-images-idx3-ubyte.gz").Md5);
        Assert.Equal(9912422 + 28881 + 1648877 + 4542, d.TotalBytes);
        Assert.Equal("https://ossci-datasets.s3.amazonaws.com/mnist/", d.Mirrors[0].AbsoluteUri);
        Assert.Throws<ArgumentException>(() => new KnownFile("../evil", 1, "00"));
    }

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(1).NextBytes(bytes);
        return bytes;
    }

    private static byte[] CorruptedCopy()
    {
        var corrupted = (byte[])_good.Clone();
        corrupted[corrupted.Length / 2] ^= 0xff;
        return corrupted;
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
