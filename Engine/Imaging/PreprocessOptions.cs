namespace DeepGpu.Imaging;

/// <summary>Which way round the ink and the background are in a picture.</summary>
public enum InkPolarity
{
    /// <summary>Decide from the picture: the background is what its border mostly shows.</summary>
    Auto,

    /// <summary>Dark ink on a light background (pen on paper, black brush on a white canvas).</summary>
    DarkOnLight,

    /// <summary>Light ink on a dark background (chalk on a board, MNIST itself).</summary>
    LightOnDark,
}

/// <summary>
/// Knobs of the MNIST-style preparation done by <see cref="DigitImage"/>. The defaults suit drawings from
/// a paint program, scans and photos of a digit on plain paper; most callers never change them.
/// </summary>
public sealed record PreprocessOptions
{
    /// <summary>The options used when none are given.</summary>
    public static PreprocessOptions Default { get; } = new();

    /// <summary>Which way round ink and background are; <see cref="InkPolarity.Auto"/> decides from the border.</summary>
    public InkPolarity Polarity { get; init; } = InkPolarity.Auto;

    /// <summary>
    /// Fraction of the ink's contrast below which a pixel counts as background (JPEG noise, paper grain).
    /// Between 0 and <see cref="InkSaturation"/>.
    /// </summary>
    public float NoiseFloor { get; init; } = 0.2f;

    /// <summary>Fraction of the ink's contrast at and above which a pixel counts as full ink (1.0).</summary>
    public float InkSaturation { get; init; } = 0.8f;

    /// <summary>
    /// Smallest difference between ink and background, on a 0..1 scale, that still counts as a drawing;
    /// a picture with less contrast is reported as having no digit.
    /// </summary>
    public float MinContrast { get; init; } = 0.15f;

    /// <summary>Blobs of ink holding less than this fraction of all the ink are specks, and ignored.</summary>
    public float SpeckFraction { get; init; } = 0.02f;

    /// <summary>
    /// Ink whose bounding box is smaller than this fraction of the picture's longer side (or under 2 pixels)
    /// is a stray mark, not a digit, and the picture is reported as having none.
    /// </summary>
    public float MinDigitFraction { get; init; } = 0.015f;

    /// <summary>
    /// Strokes thinner than this, in pixels of the 28x28 result, are thickened to it (MNIST strokes are
    /// about 2 pixels wide); 0 keeps strokes as drawn.
    /// </summary>
    public float MinStrokeWidth { get; init; } = 1.5f;

    internal void Validate()
    {
        if (!(NoiseFloor >= 0f && NoiseFloor < InkSaturation && InkSaturation <= 1f))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing options need 0 <= NoiseFloor < InkSaturation <= 1, but NoiseFloor is {NoiseFloor} and InkSaturation is {InkSaturation}."));
        if (!(MinContrast > 0f && MinContrast <= 1f))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing option MinContrast must lie in (0, 1], but it is {MinContrast}."));
        if (!(SpeckFraction >= 0f && SpeckFraction < 1f))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing option SpeckFraction must lie in [0, 1), but it is {SpeckFraction}."));
        if (!(MinDigitFraction >= 0f && MinDigitFraction < 1f))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing option MinDigitFraction must lie in [0, 1), but it is {MinDigitFraction}."));
        if (!(MinStrokeWidth >= 0f && MinStrokeWidth <= 6f))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing option MinStrokeWidth must lie in [0, 6], but it is {MinStrokeWidth}."));
        if (!Enum.IsDefined(Polarity))
            throw new DeepGpuException(FormattableString.Invariant($"The preprocessing option Polarity has the unknown value {(int)Polarity}."));
    }
}
