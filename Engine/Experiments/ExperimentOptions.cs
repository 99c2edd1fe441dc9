namespace DeepGpu.Experiments;

/// <summary>
/// Sizes of a book experiment. Every size can shrink so a test runs a tiny version in seconds; null means the
/// book's setting for that experiment.
/// </summary>
public sealed record ExperimentOptions
{
    /// <summary>Iterations of the iteration-based comparisons (optimizers, init); the book runs 2000.</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>Epochs of the epoch-based ones: batchnorm (book: 20) and overfit (book: 200).</summary>
    public int? Epochs { get; init; }

    /// <summary>
    /// Training images used: the first N of the training set. Defaults: all of it for optimizers and init, 1000
    /// for batchnorm, 300 for overfit.
    /// </summary>
    public int? TrainSize { get; init; }

    /// <summary>Test images the overfit experiment scores each epoch (the first N); null for the whole test set.</summary>
    public int? TestSize { get; init; }

    /// <summary>How many weight scales the batchnorm grid spans, log-spaced from 1 to 1e-4; the book uses 16.</summary>
    public int Scales { get; init; } = 16;

    /// <summary>Seeds the initial weights, the batch order and dropout.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>What the overfit experiment calls its held-out set: "test", or "validation" when it is a part held out of the training files.</summary>
    public string TestSetName { get; init; } = "test";

    /// <summary>Told one line when each curve finishes (for a progress display).</summary>
    public IProgress<string>? Progress { get; init; }
}
