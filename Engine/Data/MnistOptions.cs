namespace DeepGpu.Data;

/// <summary>Where <see cref="Mnist.Load"/> looks for data, and how it may get some.</summary>
public sealed record MnistOptions
{
    /// <summary>A directory the user named (<c>--data DIR</c>). When set it is the only place looked at: missing files are an error, not a fallback.</summary>
    public string? DataDir { get; init; }

    /// <summary>Whether to download the official files into <see cref="CacheDir"/> when no directory holds data.</summary>
    public bool AllowDownload { get; init; }

    /// <summary>How many training images to hold out as the test part when a directory has no t10k files.</summary>
    public int ValidationSize { get; init; } = 1000;

    /// <summary>The cache directory; null means <see cref="Mnist.DefaultCacheDir"/>. Lets tests and tools avoid the real home directory.</summary>
    public string? CacheDir { get; init; }

    /// <summary>Stands in for the <c>DEEPGPU_DATA</c> variable; null reads the process environment, "" means unset.</summary>
    public string? EnvironmentDataDir { get; init; }

    /// <summary>The downloader used when <see cref="AllowDownload"/> is set; null means the official files from the default mirrors.</summary>
    public MnistDownloader? Downloader { get; init; }

    /// <summary>Receives the bytes downloaded so far, out of <see cref="MnistDownloader.TotalBytes"/>.</summary>
    public IProgress<long>? DownloadProgress { get; init; }
}
