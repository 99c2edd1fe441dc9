namespace DeepGpu.Imaging;

/// <summary>A rectangle of pixels in a source picture.</summary>
/// <param name="X">Left column, inclusive.</param>
/// <param name="Y">Top row, inclusive.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct PixelBox(int X, int Y, int Width, int Height);

/// <summary>What <see cref="DigitImage"/> made of a picture: the 28x28 image the network sees, and how.</summary>
public sealed class PreprocessResult
{
    internal PreprocessResult(float[] pixels, bool found, PixelBox? boundingBox, int sourceWidth, int sourceHeight, bool darkInk)
    {
        Pixels = pixels;
        Found = found;
        BoundingBox = boundingBox;
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        DarkInk = darkInk;
    }

    /// <summary>
    /// The 28x28 image in MNIST form, row-major, 784 values in [0, 1]: 0 is background, 1 is ink.
    /// All zeros when <see cref="Found"/> is false.
    /// </summary>
    public float[] Pixels { get; }

    /// <summary>Whether the picture held a digit; false for a blank (or nearly uniform) picture.</summary>
    public bool Found { get; }

    /// <summary>
    /// The digit's bounding box in the source picture's pixels (as displayed, after any EXIF rotation),
    /// specks left out; null when nothing was found.
    /// </summary>
    public PixelBox? BoundingBox { get; }

    /// <summary>Width of the source picture in pixels.</summary>
    public int SourceWidth { get; }

    /// <summary>Height of the source picture in pixels.</summary>
    public int SourceHeight { get; }

    /// <summary>Whether the ink was darker than the background in the source (so the picture was inverted).</summary>
    public bool DarkInk { get; }
}
