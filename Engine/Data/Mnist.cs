namespace DeepGpu.Data;

/// <summary>
/// Finds and loads MNIST-format data (MNIST, Fashion-MNIST, KMNIST: the same file names and format).
/// <see cref="Load"/> looks, in order, at the directory the user named, <c>DEEPGPU_DATA</c>, the user
/// cache, a download into the cache (when allowed) and the 10k sample embedded in the library, and says
/// where it looked when nothing fits.
/// </summary>
public static class Mnist
{
    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The environment variable naming a data directory.</summary>
    public const string EnvironmentVariable = "DEEPGPU_DATA";

    /// <summary>Training images held out as the test part when there are no t10k files.</summary>
    public const int DefaultValidationSize = 1000;

    /// <summary>Number of classes in every MNIST-format set.</summary>
    public const int Classes = 10;

    private const string ResourcePrefix = "DeepGpu.Data.Sample.";

    /// <summary><c>$XDG_CACHE_HOME/deepgpu/mnist</c> when that variable is set, else <c>~/.cache/deepgpu/mnist</c>.</summary>
    public static string DefaultCacheDir
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "deepgpu", "mnist");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) home = Path.GetTempPath();
            return Path.Combine(home, ".cache", "deepgpu", "mnist");
        }
    }

    /// <summary>Loads the first data set found (see <see cref="Mnist"/> for the order).</summary>
    /// <exception cref="DataException">The named directory has no data, a directory on the way holds incomplete or corrupt files, or an allowed download failed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MnistOptions.ValidationSize"/> is below 1.</exception>
    public static MnistData Load(MnistOptions? options = null) =>
        LoadAsync(options).ConfigureAwait(false).GetAwaiter().GetResult();

    /// <summary>Asynchronous <see cref="Load"/>: only a download waits on anything.</summary>
    public static async Task<MnistData> LoadAsync(MnistOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MnistOptions();
        var holdOut = options.ValidationSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(holdOut, 1, nameof(options.ValidationSize));

        if (options.DataDir is { } named)
        {
            if (string.IsNullOrWhiteSpace(named)) throw new DataException("The data directory given is an empty name.");
            var layout = Probe(named);
            if (!layout.HasTrain)
            {
                var problem = layout.Exists ? "has no MNIST training files" : "does not exist";
                throw new DataException($"The data directory {layout.Dir} {problem}: looked for {JoinAnd(TrainCandidates(layout.Dir))}.");
            }
            return Read(layout, $"data directory {layout.Dir}", holdOut, [$"data directory {layout.Dir}: used"]);
        }

        var searched = new List<string>();
        var env = options.EnvironmentDataDir ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(env))
        {
            searched.Add($"{EnvironmentVariable}: not set");
        }
        else
        {
            var layout = Probe(env);
            if (layout.HasTrain)
            {
                searched.Add($"{EnvironmentVariable} {layout.Dir}: used");
                return Read(layout, $"{EnvironmentVariable} directory {layout.Dir}", holdOut, searched);
            }
            searched.Add($"{EnvironmentVariable} {layout.Dir}: {(layout.Exists ? "no training files" : "does not exist")}");
        }

        var cache = Probe(options.CacheDir ?? DefaultCacheDir);
        if (cache.HasTrain)
        {
            searched.Add($"cache {cache.Dir}: used");
            return Read(cache, $"cache {cache.Dir}", holdOut, searched);
        }
        searched.Add($"cache {cache.Dir}: {(cache.Exists ? "no training files" : "does not exist")}");

        if (options.AllowDownload)
        {
            var downloader = options.Downloader ?? new MnistDownloader();
            await downloader.DownloadAsync(cache.Dir, options.DownloadProgress, cancellationToken).ConfigureAwait(false);
            var fetched = Probe(cache.Dir);
            if (!fetched.HasTrain)
            {
                throw new DataException($"The download into {cache.Dir} did not produce {TrainImagesFile}.gz and {TrainLabelsFile}.gz.");
            }
            searched.Add($"download into {cache.Dir}: used");
            return Read(fetched, $"MNIST downloaded into {cache.Dir}", holdOut, searched);
        }
        searched.Add("download: not allowed");

        searched.Add("embedded sample: used");
        var places = string.IsNullOrWhiteSpace(env) ? cache.Dir : $"{env} or {cache.Dir}";
        return ReadEmbedded(holdOut, $" (no data in {places})", searched);
    }

    /// <summary>Loads the IDX files of one directory; without t10k files the last <paramref name="validationSize"/> training images become the test part.</summary>
    /// <exception cref="DataException">The directory has no training files, or they are incomplete or corrupt.</exception>
    public static MnistData LoadDirectory(string directory, int validationSize = DefaultValidationSize) =>
        Load(new MnistOptions { DataDir = directory, ValidationSize = validationSize });

    /// <summary>
    /// Loads the sample shipped inside the library: the first 10,000 official MNIST training images, the
    /// last <paramref name="validationSize"/> of them held out as the test part.
    /// </summary>
    public static MnistData LoadEmbeddedSample(int validationSize = DefaultValidationSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(validationSize, 1);
        return ReadEmbedded(validationSize, "", ["embedded sample: used"]);
    }

    /// <summary>Whether <paramref name="directory"/> holds the training image and label files, gzipped or raw.</summary>
    public static bool HasData(string directory) =>
        Directory.Exists(directory) && Find(directory, TrainImagesFile) is not null && Find(directory, TrainLabelsFile) is not null;

    private static MnistData ReadEmbedded(int holdOut, string note, IReadOnlyList<string> searched)
    {
        var assembly = typeof(Mnist).Assembly;
        Stream Open(string file) =>
            assembly.GetManifestResourceStream(ResourcePrefix + file + ".gz")
            ?? throw new InvalidOperationException($"The embedded resource {ResourcePrefix}{file}.gz is missing from {assembly.GetName().Name}; the build is broken.");

        using var images = Open(TrainImagesFile);
        using var labels = Open(TrainLabelsFile);
        const string source = "embedded MNIST sample";
        var all = IdxReader.ReadDataset(images, $"embedded {TrainImagesFile}.gz", labels, $"embedded {TrainLabelsFile}.gz", Classes, source);
        return HoldOut(all, $"MNIST sample embedded in DeepGpu{note}", holdOut, searched);
    }

    private static MnistData Read(Layout layout, string origin, int holdOut, IReadOnlyList<string> searched)
    {
        var train = IdxReader.ReadDataset(layout.TrainImages!, layout.TrainLabels!, Classes, $"training set in {layout.Dir}");
        if (layout.TestImages is null) return HoldOut(train, origin, holdOut, searched);

        var test = IdxReader.ReadDataset(layout.TestImages, layout.TestLabels!, Classes, $"test set in {layout.Dir}");
        if (test.SampleShape != train.SampleShape)
        {
            throw new DataException($"{layout.TestImages} holds images of {test.SampleShape} but {layout.TrainImages} holds {train.SampleShape}; they must match.");
        }
        var (_, h, w) = train.SampleShape.AsImage();
        return new MnistData(train, test, false, $"{Capitalize(origin)}: {train.Count} training and {test.Count} test images of {h}x{w}", searched);
    }

    private static MnistData HoldOut(Dataset all, string origin, int holdOut, IReadOnlyList<string> searched)
    {
        if (holdOut >= all.Count)
        {
            throw new DataException($"The {origin} has {all.Count} training images and no test files, too few to hold out {holdOut} for validation.");
        }
        var (train, test) = all.Split(holdOut);
        var description = $"{Capitalize(origin)}: no test files: holding out the last {holdOut} of {all.Count} training images for validation";
        return new MnistData(train, test, true, description, searched);
    }

    private sealed record Layout(string Dir, bool Exists, string? TrainImages, string? TrainLabels, string? TestImages, string? TestLabels)
    {
        public bool HasTrain => TrainImages is not null && TrainLabels is not null;
    }

    // Finds the four files; half a pair is an error, since using or skipping it would hide a broken copy.
    private static Layout Probe(string directory)
    {
        var dir = Path.GetFullPath(directory);
        if (!Directory.Exists(dir)) return new Layout(dir, false, null, null, null, null);
        var trainImages = Find(dir, TrainImagesFile);
        var trainLabels = Find(dir, TrainLabelsFile);
        var testImages = Find(dir, TestImagesFile);
        var testLabels = Find(dir, TestLabelsFile);
        RequirePair(dir, trainImages, TrainImagesFile, trainLabels, TrainLabelsFile);
        if (trainImages is not null) RequirePair(dir, testImages, TestImagesFile, testLabels, TestLabelsFile);
        return new Layout(dir, true, trainImages, trainLabels, testImages, testLabels);
    }

    private static void RequirePair(string dir, string? images, string imagesName, string? labels, string labelsName)
    {
        if ((images is null) == (labels is null)) return;
        var (present, missing) = images is null ? (labels!, imagesName) : (images, labelsName);
        throw new DataException($"{dir} is incomplete: it has {present} but neither {missing}.gz nor {missing}.");
    }

    private static string? Find(string dir, string name)
    {
        var gz = Path.Combine(dir, name + ".gz");
        if (File.Exists(gz)) return gz;
        var raw = Path.Combine(dir, name);
        return File.Exists(raw) ? raw : null;
    }

    private static IEnumerable<string> TrainCandidates(string dir) =>
        from name in new[] { TrainImagesFile, TrainLabelsFile }
        from file in new[] { name + ".gz", name }
        select Path.Combine(dir, file);

    private static string JoinAnd(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " and " + list[^1];
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
