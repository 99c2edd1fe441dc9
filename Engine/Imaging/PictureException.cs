namespace DeepGpu.Imaging;

/// <summary>What is wrong with a picture that cannot be read, so a front end can answer in kind (e.g. an HTTP status).</summary>
public enum PictureProblem
{
    /// <summary>It holds no bytes.</summary>
    Empty,

    /// <summary>It is not in a format DeepGpu reads.</summary>
    NotAnImage,

    /// <summary>It declares more pixels, bytes or decoding memory than the limits allow.</summary>
    TooLarge,

    /// <summary>It is in a known format but truncated or damaged.</summary>
    Corrupt,

    /// <summary>It could not be read from its file or stream.</summary>
    Unreadable,
}

/// <summary>A picture that cannot be read: one sentence naming it, and which kind of <see cref="PictureProblem"/> it is.</summary>
public sealed class PictureException : DeepGpuException
{
    public PictureException(PictureProblem problem, string message) : base(message) => Problem = problem;

    public PictureException(PictureProblem problem, string message, Exception inner) : base(message, inner) => Problem = problem;

    /// <summary>What kind of problem it is.</summary>
    public PictureProblem Problem { get; }
}
