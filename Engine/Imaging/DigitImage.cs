using System.Runtime.InteropServices;
using DeepGpu.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DeepGpu.Imaging;

/// <summary>
/// Turns a picture of a handwritten digit into the 28x28 image an MNIST-trained network expects, prepared
/// the way MNIST's digits were: ink bright on black, cropped, scaled to fit a 20x20 box keeping its aspect
/// ratio (area-averaged), and placed so its centre of mass sits at (14, 14). Reads PNG, JPEG, BMP, GIF,
/// TIFF and WebP (and PBM, TGA); the first frame of an animation is used, and an EXIF orientation is
/// applied, so the picture is read the way a viewer shows it.
/// </summary>
public static class DigitImage
{
    /// <summary>Side of the network's input image, in pixels.</summary>
    public const int Size = 28;

    /// <summary>Number of values in the network's input image (28 x 28).</summary>
    public const int PixelCount = Size * Size;

    /// <summary>Side of the box the digit's longer side is scaled to, as in MNIST.</summary>
    public const int BoxSize = 20;

    /// <summary>Row and column, in pixel indices, where the digit's centre of mass is placed.</summary>
    public const float Centre = 14f;

    /// <summary>Pictures declaring more pixels than this are refused before they are decoded.</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>Largest single buffer, in megabytes, the decoder may allocate; a crafted file cannot ask for more.</summary>
    public const int DecoderMemoryLimitMegabytes = 512;

    /// <summary>Most bytes read from a stream that cannot seek (it is copied into memory first).</summary>
    public const long MaxStreamBytes = 1L << 30;

    // Bigger pictures are block-averaged down to about this many pixels first: the digit ends up 20
    // pixels tall anyway, and area-averaging keeps thin strokes.
    private const long WorkingPixels = 4_000_000;

    private static readonly Configuration _decoderConfiguration = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        // A fresh Configuration, so the process-wide Configuration.Default is left untouched.
        var configuration = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule(),
            new BmpConfigurationModule(), new PbmConfigurationModule(), new TgaConfigurationModule(),
            new TiffConfigurationModule(), new WebpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = DecoderMemoryLimitMegabytes }),
        };
        // Only the first frame matters; decoding every frame of an animation would multiply the memory.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    /// <summary>Reads a picture file and returns the 784 values of its digit in MNIST form (all zeros if blank).</summary>
    /// <param name="path">The picture file.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    /// <exception cref="DeepGpuException">The file is missing, empty, truncated, not an image, or too large.</exception>
    public static float[] Load(string path, PreprocessOptions? options = null) => Preprocess(path, options).Pixels;

    /// <summary>Reads a picture from a stream and returns the 784 values of its digit in MNIST form.</summary>
    /// <param name="stream">The encoded picture, read from its current position.</param>
    /// <param name="displayName">How to name the picture in error messages, e.g. its file name.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static float[] Load(Stream stream, string displayName, PreprocessOptions? options = null) =>
        Preprocess(stream, displayName, options).Pixels;

    /// <summary>Reads a picture file and prepares its digit, saying whether one was found and where.</summary>
    /// <param name="path">The picture file.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static PreprocessResult Preprocess(string path, PreprocessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
            throw new DeepGpuException("No picture file was given: the path is empty.");
        if (Directory.Exists(path))
            throw new DeepGpuException($"{path} is a folder, not a picture file.");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DeepGpuException($"{path} does not exist.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new DeepGpuException($"{path} cannot be read: permission denied.", ex);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or NotSupportedException)
        {
            throw new DeepGpuException($"{path} cannot be opened ({Reason(ex)}).", ex);
        }
        using (stream)
            return Preprocess(stream, path, options);
    }

    /// <summary>Reads a picture from a stream and prepares its digit, saying whether one was found and where.</summary>
    /// <param name="stream">The encoded picture, read from its current position.</param>
    /// <param name="displayName">How to name the picture in error messages, e.g. its file name.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static PreprocessResult Preprocess(Stream stream, string displayName, PreprocessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        options ??= PreprocessOptions.Default;
        options.Validate();

        using Image image = Decode(stream, displayName);
        // Phone photos are stored sideways with an EXIF note saying how to turn them; turn them.
        if (image.Metadata.ExifProfile is not null)
            image.Mutate(context => context.AutoOrient());
        return FromImage(image, options);
    }

    /// <summary>Prepares a digit from 8-bit grey pixels (0 black, 255 white), row-major, and returns its 784 values.</summary>
    /// <param name="gray">width x height grey values.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static float[] FromPixels(ReadOnlySpan<byte> gray, int width, int height, PreprocessOptions? options = null) =>
        PreprocessPixels(gray, width, height, options).Pixels;

    /// <summary>Prepares a digit from 8-bit RGBA pixels (straight, not premultiplied, alpha), row-major, and returns its 784 values.</summary>
    /// <param name="rgba">width x height x 4 bytes: red, green, blue, alpha.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static float[] FromRgbaPixels(ReadOnlySpan<byte> rgba, int width, int height, PreprocessOptions? options = null) =>
        PreprocessRgbaPixels(rgba, width, height, options).Pixels;

    /// <summary>Prepares a digit from 8-bit grey pixels (0 black, 255 white), row-major.</summary>
    /// <param name="gray">width x height grey values.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static PreprocessResult PreprocessPixels(ReadOnlySpan<byte> gray, int width, int height, PreprocessOptions? options = null)
    {
        CheckPixelArray(gray.Length, width, height, 1, "grey");
        options ??= PreprocessOptions.Default;
        options.Validate();
        using var plane = new LuminancePlane(width, height, WorkingPixels);
        for (int y = 0; y < height; y++)
            plane.AddRow<byte, PixelReadings.GreyByte>(y, gray.Slice(y * width, width));
        return plane.Run(options);
    }

    /// <summary>Prepares a digit from 8-bit RGBA pixels (straight alpha), row-major.</summary>
    /// <param name="rgba">width x height x 4 bytes: red, green, blue, alpha.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="options">Preparation settings; null for <see cref="PreprocessOptions.Default"/>.</param>
    public static PreprocessResult PreprocessRgbaPixels(ReadOnlySpan<byte> rgba, int width, int height, PreprocessOptions? options = null)
    {
        CheckPixelArray(rgba.Length, width, height, 4, "RGBA");
        options ??= PreprocessOptions.Default;
        options.Validate();
        ReadOnlySpan<Rgba32> pixels = MemoryMarshal.Cast<byte, Rgba32>(rgba);
        using var plane = new LuminancePlane(width, height, WorkingPixels);
        for (int y = 0; y < height; y++)
            plane.AddRow<Rgba32, PixelReadings.Rgba>(y, pixels.Slice(y * width, width));
        return plane.Run(options);
    }

    /// <summary>
    /// Writes a 28x28 image in MNIST form (0 background, 1 ink) as an 8-bit grey PNG, light ink on black as
    /// the network sees it. The file is written under a temporary name and then renamed, so a reader never
    /// sees half of it.
    /// </summary>
    /// <param name="path">The PNG file to create or replace.</param>
    /// <param name="image784">784 values in [0, 1], row-major; values outside are clamped.</param>
    public static void Save28(string path, ReadOnlySpan<float> image784)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (image784.Length != PixelCount)
            throw new DeepGpuException($"Cannot save {path}: the image has {image784.Length} values, but a 28x28 image needs {PixelCount}.");

        using var image = new Image<L8>(Size, Size);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                float v = image784[y * Size + x];
                v = float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);
                image[x, y] = new L8((byte)MathF.Round(v * 255f));
            }

        AtomicFile.Write(path, stream => image.Save(stream, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 }));
    }

    /// <summary>
    /// Centre of mass of a 28x28 image in pixel indices (column X, row Y), each pixel weighted by its value;
    /// the definition used to place digits at (<see cref="Centre"/>, <see cref="Centre"/>).
    /// </summary>
    /// <param name="image784">784 values, row-major.</param>
    public static (float X, float Y) CentreOfMass(ReadOnlySpan<float> image784)
    {
        if (image784.Length != PixelCount)
            throw new DeepGpuException($"A 28x28 image has {PixelCount} values, but this one has {image784.Length}.");
        return DigitPreprocessor.CentreOfMass(image784, Size, Size);
    }


    private static void CheckPixelArray(int length, int width, int height, int channels, string kind)
    {
        if (width <= 0 || height <= 0)
            throw new DeepGpuException($"A picture must be at least 1x1 pixels, but {width}x{height} was given.");
        if ((long)width * height > MaxPixels)
            throw new DeepGpuException(FormattableString.Invariant($"A {width}x{height} picture has more than the {MaxPixels:N0}-pixel limit."));
        if (length != (long)width * height * channels)
            throw new DeepGpuException($"A {width}x{height} {kind} picture needs {(long)width * height * channels} bytes, but {length} were given.");
    }

    private static Image Decode(Stream stream, string name)
    {
        if (!stream.CanSeek)
        {
            // Identify and decode both read the start, so take a seekable copy.
            stream = CopyLimited(stream, name);
        }

        long start = stream.Position;
        if (stream.Length - start <= 0)
            throw new PictureException(PictureProblem.Empty, $"{name} is empty (0 bytes), so it holds no image.");

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(_decoderConfiguration, stream, out format);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw Corrupt(name, ex);
        }
        catch (IOException ex)
        {
            throw new PictureException(PictureProblem.Unreadable, $"{name} cannot be read ({Reason(ex)}).", ex);
        }
        if (info is null)
            throw NotAnImage(name, null);
        if (info.Width <= 0 || info.Height <= 0)
            throw new PictureException(PictureProblem.Corrupt, $"{name} declares an empty {info.Width}x{info.Height}-pixel image.");
        if ((long)info.Width * info.Height > MaxPixels)
            throw new PictureException(PictureProblem.TooLarge, FormattableString.Invariant($"{name} declares {info.Width}x{info.Height} pixels, more than the {MaxPixels:N0}-pixel limit."));

        stream.Position = start;
        try
        {
            return format is PngFormat ? DecodePng(info, stream) : Image.Load<Rgba32>(_decoderConfiguration, stream);
        }
        catch (InvalidMemoryOperationException ex)
        {
            throw new PictureException(PictureProblem.TooLarge, $"{name} needs more memory to decode than the {DecoderMemoryLimitMegabytes} MB limit allows.", ex);
        }
        catch (UnknownImageFormatException ex)
        {
            throw NotAnImage(name, ex);
        }
        catch (Exception ex) when (IsDecodeFailure(ex))
        {
            throw Corrupt(name, ex);
        }
        catch (IOException ex)
        {
            throw new PictureException(PictureProblem.Unreadable, $"{name} cannot be read ({Reason(ex)}).", ex);
        }
    }

    // An opaque 8-bit RGB or grey PNG is decoded as it is stored: widening every pixel to RGBA costs ImageSharp
    // more than the decoding itself, and the widened pixel reads as the same luminance anyway.
    private static Image DecodePng(IImageInfo info, Stream stream)
    {
        PngMetadata png = info.Metadata.GetPngMetadata();
        bool opaque8Bit = png.BitDepth == PngBitDepth.Bit8 && !png.HasTransparency;
        return png.ColorType switch
        {
            PngColorType.Rgb when opaque8Bit => Image.Load<Rgb24>(_decoderConfiguration, stream),
            PngColorType.Grayscale when opaque8Bit => Image.Load<L8>(_decoderConfiguration, stream),
            _ => Image.Load<Rgba32>(_decoderConfiguration, stream),
        };
    }

    private static MemoryStream CopyLimited(Stream stream, string name)
    {
        var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        try
        {
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (copy.Length + read > MaxStreamBytes)
                    throw new PictureException(PictureProblem.TooLarge, FormattableString.Invariant($"{name} is larger than the {MaxStreamBytes / (1024 * 1024):N0} MB limit for a picture read from a stream."));
                copy.Write(buffer, 0, read);
            }
        }
        catch (IOException ex)
        {
            throw new PictureException(PictureProblem.Unreadable, $"{name} cannot be read ({Reason(ex)}).", ex);
        }
        copy.Position = 0;
        return copy;
    }

    // An inner exception's message as a clause inside our one sentence.
    private static string Reason(Exception ex) => ex.Message.Trim().TrimEnd('.').Replace(". ", "; ");

    // Decoders of crafted or cut-off files fail in assorted ways (format errors, end of stream, index,
    // argument and arithmetic errors); all of them mean "this file is broken". Real I/O failures and
    // running out of memory are not the file's content, so they are left to their own handlers.
    private static bool IsDecodeFailure(Exception ex) =>
        ex is EndOfStreamException || ex is not (IOException or OutOfMemoryException or OperationCanceledException or DeepGpuException);

    private static PictureException NotAnImage(string name, Exception? inner)
    {
        string message = $"{name} is not an image DeepGpu can read (PNG, JPEG, BMP, GIF, TIFF or WebP).";
        return inner is null ? new PictureException(PictureProblem.NotAnImage, message) : new PictureException(PictureProblem.NotAnImage, message, inner);
    }

    private static PictureException Corrupt(string name, Exception inner) => inner switch
    {
        UnknownImageFormatException => NotAnImage(name, inner),
        InvalidMemoryOperationException => new(PictureProblem.TooLarge, $"{name} needs more memory to decode than the {DecoderMemoryLimitMegabytes} MB limit allows.", inner),
        _ => new(PictureProblem.Corrupt, $"{name} is truncated or corrupt and cannot be decoded.", inner),
    };

    private static PreprocessResult FromImage(Image image, PreprocessOptions options) => image switch
    {
        Image<Rgb24> rgb => FromImage<Rgb24, PixelReadings.Rgb>(rgb, options),
        Image<L8> grey => FromImage<L8, PixelReadings.Grey>(grey, options),
        Image<Rgba32> rgba => FromImage<Rgba32, PixelReadings.Rgba>(rgba, options),
        _ => throw new InvalidOperationException($"Pictures are decoded as Rgb24, L8 or Rgba32, not {image.PixelType.BitsPerPixel}-bit pixels."),
    };

    private static PreprocessResult FromImage<TPixel, TReading>(Image<TPixel> image, PreprocessOptions options)
        where TPixel : unmanaged, IPixel<TPixel>
        where TReading : IPixelReading<TPixel>
    {
        using var plane = new LuminancePlane(image.Width, image.Height, WorkingPixels);
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++) plane.AddRow<TPixel, TReading>(y, accessor.GetRowSpan(y));
        });
        return plane.Run(options);
    }
}
