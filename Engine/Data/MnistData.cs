namespace DeepGpu.Data;

/// <summary>A training set and a test set, with where they came from.</summary>
/// <param name="Train">The samples to train on.</param>
/// <param name="Test">The samples to measure on: the t10k files, or a held-out part of the training files.</param>
/// <param name="TestIsHeldOut">True when there were no test files and <paramref name="Test"/> is the last training images held out for validation.</param>
/// <param name="Description">One line saying where the data came from (and what was held out), for the user.</param>
/// <param name="Searched">Each place looked at, in order, with what was found there; the last one is where the data came from.</param>
public sealed record MnistData(Dataset Train, Dataset Test, bool TestIsHeldOut, string Description, IReadOnlyList<string> Searched)
{
    public override string ToString() => Description;
}
