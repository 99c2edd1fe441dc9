using System.Net;
using System.Net.Http;
using System.Security.Cryptography;

namespace DeepGpu.Data;

/// <summary>A file the downloader knows: its name on the mirrors, its exact size and its MD5 (lowercase hex).</summary>
public sealed record KnownFile
{
    public KnownFile(string name, long size, string md5)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(md5);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        // The name becomes part of a path and a URL, so it must not climb out of either.
        if (name != Path.GetFileName(name) || name is "." or ".." || name.Contains('/') || name.Contains('\\'))
        {
            throw new ArgumentException($"'{name}' is not a plain file name.", nameof(name));
        }
        Name = name;
        Size = size;
        Md5 = md5.ToLowerInvariant();
    }

    public string Name { get; }
    public long Size { get; }
    public string Md5 { get; }
}

/// <summary>
/// Downloads the MNIST IDX files from public mirrors. Each file is streamed to a temporary file in the
/// destination directory, checked against its known size and MD5, and only then renamed over the final
/// name, so a failed, cut or corrupted download never leaves a partial file under that name and never
/// replaces a file that was there. On failure it tries the next mirror.
/// </summary>
public sealed class MnistDownloader
{
    private static readonly Lazy<HttpClient> _sharedClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = DecompressionMethods.None, // the files are .gz themselves; hash the bytes as published
    })
    {
        // Timeouts are ours (StallTimeout), per read, so a slow but live download of a large file still finishes.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    private readonly HttpClient _http;

    /// <summary>The mirrors tried in order when none are given.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    /// <summary>The four official MNIST files with the sizes and MD5s published with the data set.</summary>
    public static IReadOnlyList<KnownFile> OfficialFiles { get; } =
    [
        new("train-images-idx3-ubyte.gz", 9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        new("train-labels-idx1-ubyte.gz", 28881, "d53e105ee54ea40749a09fcbcd1e9432"),
        new("t10k-images-idx3-ubyte.gz", 1648877, "9fb629c4189551a2d022fa330f9573f3"),
        new("t10k-labels-idx1-ubyte.gz", 4542, "ec29112dd5afa0611ce80d1b7f02629c"),
    ];

    /// <summary>A downloader for the official files from the default mirrors, on a shared HttpClient.</summary>
    public MnistDownloader() : this(_sharedClient.Value)
    {
    }

    /// <summary>
    /// A downloader using <paramref name="http"/> (not disposed here), trying <paramref name="mirrors"/>
    /// (base URLs; default <see cref="DefaultMirrors"/>) for each of <paramref name="files"/> (default <see cref="OfficialFiles"/>).
    /// </summary>
    public MnistDownloader(HttpClient http, IEnumerable<Uri>? mirrors = null, IEnumerable<KnownFile>? files = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        // A base without a trailing slash would lose its last segment when the file name is appended.
        Mirrors = (mirrors ?? DefaultMirrors)
            .Select(m => m.AbsoluteUri.EndsWith('/') ? m : new Uri(m.AbsoluteUri + "/"))
            .ToArray();
        Files = (files ?? OfficialFiles).ToArray();
        if (Mirrors.Count == 0) throw new ArgumentException("At least one mirror is needed.", nameof(mirrors));
        if (Files.Select(f => f.Name).Distinct().Count() != Files.Count) throw new ArgumentException("The file names must be distinct.", nameof(files));
    }

    /// <summary>The base URLs, tried in order.</summary>
    public IReadOnlyList<Uri> Mirrors { get; }

    /// <summary>The files <see cref="DownloadAsync"/> fetches.</summary>
    public IReadOnlyList<KnownFile> Files { get; }

    /// <summary>How long a request may go without receiving anything (connecting, headers, each read) before that mirror counts as failed.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The bytes of all <see cref="Files"/>, the total that progress counts towards.</summary>
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>
    /// Makes sure every file in <see cref="Files"/> is in <paramref name="directory"/> (created if needed),
    /// downloading those that are missing or do not match their size and MD5.
    /// </summary>
    /// <param name="directory">Where the files go, under their own names.</param>
    /// <param name="progress">Receives the bytes done so far across all files, out of <see cref="TotalBytes"/>; it may step back when a mirror fails mid-file.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is removed.</param>
    /// <exception cref="DataException">A file could not be fetched intact from any mirror.</exception>
    public async Task DownloadAsync(string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CreateDirectory(directory);
        long done = 0;
        foreach (var file in Files)
        {
            var path = Path.Combine(directory, file.Name);
            if (!await IsIntactAsync(path, file, cancellationToken).ConfigureAwait(false))
            {
                await FetchAsync(file, directory, progress, done, cancellationToken).ConfigureAwait(false);
            }
            done += file.Size;
            progress?.Report(done);
        }
    }

    /// <summary>
    /// Downloads one file into <paramref name="directory"/>, replacing what is there only once the new copy is
    /// verified. <paramref name="progress"/> receives this file's bytes so far.
    /// </summary>
    /// <exception cref="DataException">The file could not be fetched intact from any mirror.</exception>
    public Task DownloadFileAsync(KnownFile file, string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CreateDirectory(directory);
        return FetchAsync(file, directory, progress, 0, cancellationToken);
    }

    /// <summary>Whether <paramref name="path"/> exists with exactly the size and MD5 of <paramref name="file"/>.</summary>
    public static async Task<bool> IsIntactAsync(string path, KnownFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != file.Size) return false;
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var hash = await MD5.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash) == file.Md5;
    }

    private async Task FetchAsync(KnownFile file, string directory, IProgress<long>? progress, long before, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var mirror in Mirrors)
        {
            var url = new Uri(mirror, file.Name);
            var reason = await TryMirrorAsync(url, file, directory, progress, before, cancellationToken).ConfigureAwait(false);
            if (reason is null) return;
            failures.Add($"{url} ({reason})");
        }
        var tried = failures.Count == 1 ? failures[0] : string.Join(", ", failures.Take(failures.Count - 1)) + " and " + failures[^1];
        throw new DataException($"Could not download {file.Name} into {directory}: tried {tried}.");
    }

    // Returns null on success, else why this mirror failed. The caller's cancellation is rethrown, not reported.
    private async Task<string?> TryMirrorAsync(Uri url, KnownFile file, string directory, IProgress<long>? progress, long before, CancellationToken cancellationToken)
    {
        var final = Path.Combine(directory, file.Name);
        var temp = Path.Combine(directory, $".{file.Name}.{Guid.NewGuid():N}.part");
        long received = 0;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StallTimeout);
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
            if (response.Content.Headers.ContentLength is { } announced && announced != file.Size)
            {
                return $"the server announced {announced} bytes instead of {file.Size}";
            }
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            await using (var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                while (true)
                {
                    timeout.CancelAfter(StallTimeout);
                    var read = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    received += read;
                    // Never write more than the file can be: a rogue or wrong server cannot fill the disk.
                    if (received > file.Size) return $"the server sent more than the {file.Size} bytes expected";
                    md5.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                    progress?.Report(before + received);
                }
                await output.FlushAsync(timeout.Token).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }
            if (received != file.Size) return $"the download ended after {received} of {file.Size} bytes";
            var hash = Convert.ToHexStringLower(md5.GetHashAndReset());
            if (hash != file.Md5) return $"its MD5 is {hash}, not the published {file.Md5}";
            File.Move(temp, final, overwrite: true);
            return null;
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            // Cancelling can surface as an I/O error from the socket; it is still the caller's cancellation.
            throw new OperationCanceledException("The download was cancelled.", e, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"nothing arrived for {StallTimeout.TotalSeconds:0.###} s after {received} of {file.Size} bytes";
        }
        catch (HttpIOException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded)
        {
            return $"the connection closed after {received} of {file.Size} bytes";
        }
        catch (HttpRequestException e)
        {
            return Reason(e);
        }
        catch (IOException e)
        {
            return received > 0 ? $"{Reason(e)} after {received} of {file.Size} bytes" : Reason(e);
        }
        catch (UnauthorizedAccessException e)
        {
            return Reason(e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private static void CreateDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Cannot create the download directory {directory} ({Reason(e)}).", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale .part file is harmless, it never carries the final name.
        }
    }

    private static string Reason(Exception e) => e.Message.Trim().TrimEnd('.');
}
