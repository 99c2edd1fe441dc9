using System.Globalization;
using System.Text;
using SkiaSharp;

// Makes digits as people make them in paint programs: brush strokes dragged like a mouse, or typed in a
// handwriting font; thick and thin, slanted, off-centre, small and large; black on white, colours, white on
// black, transparent; PNG, JPEG and BMP; canvases from 64x64 to 1000x800. The same seed gives the same set.
// Usage: dotnet run --project tools/PaintDigits -c Release -- [--out DIR] [--count N] [--seed N]

var options = ParseArguments(args);
var fonts = HandwritingFonts.Find();
if (fonts.Count == 0)
{
    Console.Error.WriteLine("No handwriting fonts found: install the Debian packages listed in tools/PaintDigits/README.md.");
    return 2;
}
Directory.CreateDirectory(options.Out);
foreach (var old in Directory.EnumerateFiles(options.Out).Where(f => Path.GetFileName(f) != "README.md")) File.Delete(old);

var random = new Random(options.Seed);
var csv = new StringBuilder("file,label,source,font,size,stroke,slant,position,colours,format,width,height\n");
for (var i = 0; i < options.Count; i++)
{
    var label = i % 10;
    var picture = Picture.Make(random, label, fonts);
    var file = $"{i:D4}.{picture.Format}";
    File.WriteAllBytes(Path.Combine(options.Out, file), picture.Bytes);
    csv.Append(CultureInfo.InvariantCulture, $"{file},{label},{picture.Source},{picture.Font},{picture.Size},{picture.Stroke},{picture.Slant},{picture.Position},{picture.Colours},{picture.Format},{picture.Width},{picture.Height}\n");
}
File.WriteAllText(Path.Combine(options.Out, "labels.csv"), csv.ToString());
Console.WriteLine($"wrote {options.Count} pictures and labels.csv to {options.Out} ({fonts.Count} fonts)");
return 0;

static (string Out, int Count, int Seed) ParseArguments(string[] args)
{
    var result = (Out: "Engine.Tests/PaintDigits", Count: 600, Seed: 1);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        switch (args[i])
        {
            case "--out": result.Out = args[i + 1]; break;
            case "--count": result.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            case "--seed": result.Seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            default: throw new ArgumentException($"Unknown option {args[i]}; the options are --out DIR, --count N and --seed N.");
        }
    }
    return result;
}

/// <summary>One generated picture: its encoded bytes and its style tags.</summary>
internal sealed record Picture(byte[] Bytes, string Source, string Font, string Size, string Stroke, string Slant, string Position,
    string Colours, string Format, int Width, int Height)
{
    public static Picture Make(Random r, int label, IReadOnlyList<HandwritingFonts.Font> fonts)
    {
        // Canvas: log-uniform sides, so small canvases are as common as large ones.
        var width = (int)Math.Round(Math.Exp(Lerp(Math.Log(64), Math.Log(1000), r.NextDouble())));
        var height = r.NextDouble() < 0.35 ? width : (int)Math.Round(Math.Exp(Lerp(Math.Log(64), Math.Log(800), r.NextDouble())));
        height = Math.Clamp(height, 64, 800);
        var colours = Pick(r, ["black-on-white", "black-on-white", "colour", "colour", "white-on-black", "transparent"]);
        var format = colours == "transparent" ? "png" : Pick(r, ["png", "png", "png", "jpeg", "jpeg", "jpeg", "bmp"]);
        if (format == "bmp")
        {
            // Uncompressed: kept small so the committed set stays small.
            width = Math.Min(width, 64 + r.Next(90));
            height = Math.Min(height, 64 + r.Next(90));
        }
        var shortSide = Math.Min(width, height);
        var size = Pick(r, ["small", "medium", "medium", "large"]);
        var digitHeight = shortSide * size switch
        {
            "small" => Lerp(0.2, 0.35, r.NextDouble()),
            "medium" => Lerp(0.4, 0.7, r.NextDouble()),
            _ => Lerp(0.75, 0.92, r.NextDouble()),
        };
        var slanted = r.NextDouble() < 0.4;
        var shear = slanted ? (r.NextDouble() < 0.75 ? -1 : 1) * Lerp(0.15, 0.4, r.NextDouble()) : Lerp(-0.06, 0.06, r.NextDouble());
        var offCentre = r.NextDouble() < 0.4;
        var (ink, background) = Palette(r, colours);

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var canvas = surface.Canvas;
        canvas.Clear(background);
        var font = "";
        string source, stroke;
        // Where the digit's box goes: the middle, or anywhere it still fits.
        var boxWidth = digitHeight * 0.75 + Math.Abs(shear) * digitHeight;
        var cx = width / 2.0;
        var cy = height / 2.0;
        if (offCentre)
        {
            cx = Lerp(boxWidth / 2 + 2, width - boxWidth / 2 - 2, r.NextDouble());
            cy = Lerp(digitHeight / 2 + 2, height - digitHeight / 2 - 2, r.NextDouble());
        }
        if (r.NextDouble() < 0.5)
        {
            source = "brush";
            stroke = Pick(r, ["thin", "medium", "medium", "thick"]);
            var pen = digitHeight * stroke switch
            {
                "thin" => Lerp(0.025, 0.05, r.NextDouble()),
                "medium" => Lerp(0.07, 0.11, r.NextDouble()),
                _ => Lerp(0.13, 0.2, r.NextDouble()),
            };
            Brush.Draw(canvas, r, label, cx, cy, digitHeight, shear, Math.Max(1.0, pen), ink);
        }
        else
        {
            source = "font";
            var f = fonts[r.Next(fonts.Count)];
            font = f.Name;
            stroke = r.NextDouble() < 0.3 ? "thick" : "medium";
            Typed.Draw(canvas, f.Typeface, label, cx, cy, digitHeight, shear, stroke == "thick" ? digitHeight * Lerp(0.04, 0.08, r.NextDouble()) : 0, ink);
        }
        canvas.Flush();
        using var image = surface.Snapshot();
        var bytes = format switch
        {
            "png" => Encode(image, SKEncodedImageFormat.Png, 100),
            "jpeg" => Encode(image, SKEncodedImageFormat.Jpeg, r.Next(35, 96)),
            _ => Bmp.Encode(image),
        };
        return new Picture(bytes, source, font, size, stroke, slanted ? "slanted" : "upright", offCentre ? "off-centre" : "centred",
            colours, format, width, height);
    }

    private static (SKColor Ink, SKColor Background) Palette(Random r, string colours)
    {
        byte Near(int from, int to) => (byte)r.Next(from, to + 1);
        switch (colours)
        {
            case "black-on-white":
                return (new SKColor(Near(0, 40), Near(0, 40), Near(0, 40)), r.NextDouble() < 0.7 ? SKColors.White : Gray(Near(225, 250)));
            case "white-on-black":
                return (r.NextDouble() < 0.7 ? SKColors.White : Gray(Near(200, 250)), Gray(Near(0, 30)));
            case "transparent":
                var light = r.NextDouble() < 0.25;
                return (light ? SKColors.White : r.NextDouble() < 0.5 ? SKColors.Black : Hue(r, 0.7, 0.5), SKColors.Transparent);
            default:
                // Dark coloured ink on a light (sometimes tinted) canvas, or bright ink on a dark coloured one.
                return r.NextDouble() < 0.7
                    ? (Hue(r, Lerp(0.7, 1, r.NextDouble()), Lerp(0.35, 0.75, r.NextDouble())), r.NextDouble() < 0.6 ? SKColors.White : Hue(r, 0.15, 0.97))
                    : (Hue(r, Lerp(0.3, 0.8, r.NextDouble()), 1.0), Hue(r, 0.7, 0.25));
        }

        static SKColor Gray(byte v) => new(v, v, v);
    }

    private static SKColor Hue(Random r, double saturation, double value) =>
        SKColor.FromHsv((float)(r.NextDouble() * 360), (float)(saturation * 100), (float)(value * 100));

    private static byte[] Encode(SKImage image, SKEncodedImageFormat format, int quality)
    {
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    internal static double Lerp(double a, double b, double t) => a + (b - a) * t;

    internal static T Pick<T>(Random r, T[] items) => items[r.Next(items.Length)];
}

/// <summary>Handwriting-like fonts from Debian packages, each with all ten digits.</summary>
internal static class HandwritingFonts
{
    public sealed record Font(string Name, SKTypeface Typeface);

    // File, name in labels.csv. Packages: fonts-comic-neue, fonts-dkg-handwriting, fonts-bwht, fonts-dancingscript,
    // fonts-humor-sans, fonts-kaushanscript, fonts-tlwg-purisa-otf, fonts-tomsontalks, fonts-sjfonts, fonts-yusei-magic,
    // fonts-breip. (fonts-femkeklaver draws its digits as outlines, so it is left out.)
    private static readonly (string File, string Name)[] Candidates =
    [
        ("/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf", "comic-neue"),
        ("/usr/share/fonts/opentype/comic-neue/ComicNeue-Light.otf", "comic-neue-light"),
        ("/usr/share/fonts/opentype/comic-neue/ComicNeue-BoldItalic.otf", "comic-neue-bold-italic"),
        ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "dkg-handwriting"),
        ("/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf", "dkg-handwriting-italic"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf", "because-we-build"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf", "because-we-connect"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf", "because-we-create"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf", "because-we-learn"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf", "because-we-mentor"),
        ("/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf", "because-we-organize"),
        ("/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf", "dancing-script"),
        ("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf", "humor-sans"),
        ("/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf", "kaushan-script"),
        ("/usr/share/fonts/opentype/tlwg/Purisa.otf", "purisa"),
        ("/usr/share/fonts/opentype/tlwg/Purisa-Oblique.otf", "purisa-oblique"),
        ("/usr/share/fonts/truetype/tomsontalks/TomsonTalks.ttf", "tomson-talks"),
        ("/usr/share/fonts/truetype/sjfonts/Delphine.ttf", "delphine"),
        ("/usr/share/fonts/truetype/sjfonts/SteveHand.ttf", "steve-hand"),
        ("/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf", "yusei-magic"),
        ("/usr/share/fonts/truetype/breip/Breip.ttf", "breip"),
    ];

    public static List<Font> Find()
    {
        var found = new List<Font>();
        foreach (var (file, name) in Candidates)
        {
            if (!File.Exists(file)) continue;
            var typeface = SKTypeface.FromFile(file);
            if (typeface is null) continue;
            using var probe = new SKFont(typeface);
            if (probe.GetGlyphs("0123456789").Any(g => g == 0)) continue;
            found.Add(new Font(name, typeface));
        }
        return found;
    }
}

/// <summary>A digit typed with a font tool: the glyph scaled to the digit height, slanted, optionally outlined thicker.</summary>
internal static class Typed
{
    public static void Draw(SKCanvas canvas, SKTypeface typeface, int label, double cx, double cy, double height, double shear, double extra, SKColor ink)
    {
        var text = label.ToString(CultureInfo.InvariantCulture);
        using var font = new SKFont(typeface, 100f) { Subpixel = true, Edging = SKFontEdging.Antialias };
        font.MeasureText(text, out var bounds);
        var scale = (float)(height / Math.Max(1f, bounds.Height));
        using var paint = new SKPaint { Color = ink, IsAntialias = true, Style = extra > 0 ? SKPaintStyle.StrokeAndFill : SKPaintStyle.Fill, StrokeWidth = (float)(extra / scale), StrokeJoin = SKStrokeJoin.Round };
        canvas.Save();
        canvas.Translate((float)cx, (float)cy);
        canvas.Skew((float)shear, 0);
        canvas.Scale(scale);
        canvas.DrawText(text, -bounds.MidX, -bounds.MidY, font, paint);
        canvas.Restore();
    }
}

/// <summary>
/// A digit drawn with a round brush the way a mouse draws it: a stroke template, wobbled, sampled at uneven
/// mouse-event spacing with a little hand tremor, and joined by straight segments.
/// </summary>
internal static class Brush
{
    // Each digit's stroke templates in a unit box (x right, y down); each template is a list of strokes, each a
    // list of points a smooth curve passes through.
    private static readonly (double X, double Y)[][][][] Templates =
    [
        [ // 0
            [[(0.5, 0.02), (0.2, 0.15), (0.08, 0.5), (0.2, 0.87), (0.5, 0.98), (0.8, 0.87), (0.92, 0.5), (0.8, 0.13), (0.5, 0.02), (0.4, 0.06)]],
            [[(0.6, 0.03), (0.3, 0.1), (0.12, 0.45), (0.22, 0.85), (0.5, 0.98), (0.82, 0.8), (0.9, 0.4), (0.72, 0.08), (0.5, 0.04)]],
        ],
        [ // 1
            [[(0.5, 0.02), (0.5, 0.98)]],
            [[(0.22, 0.25), (0.55, 0.02), (0.55, 0.98)]],
            [[(0.25, 0.22), (0.55, 0.02), (0.55, 0.98)], [(0.25, 0.98), (0.85, 0.98)]],
        ],
        [ // 2
            [[(0.12, 0.25), (0.3, 0.06), (0.55, 0.02), (0.8, 0.12), (0.85, 0.32), (0.7, 0.52), (0.4, 0.75), (0.1, 0.97), (0.92, 0.96)]],
            [[(0.15, 0.3), (0.35, 0.05), (0.7, 0.06), (0.85, 0.28), (0.6, 0.6), (0.12, 0.95), (0.5, 0.92), (0.9, 0.98)]],
        ],
        [ // 3
            [[(0.12, 0.14), (0.4, 0.02), (0.75, 0.1), (0.78, 0.3), (0.45, 0.47), (0.8, 0.6), (0.86, 0.82), (0.6, 0.97), (0.3, 0.98), (0.1, 0.86)]],
            [[(0.12, 0.03), (0.85, 0.03), (0.42, 0.42), (0.78, 0.55), (0.88, 0.78), (0.65, 0.96), (0.3, 0.98), (0.1, 0.88)]],
        ],
        [ // 4
            [[(0.68, 0.98), (0.68, 0.02), (0.08, 0.68), (0.92, 0.68)]],
            [[(0.22, 0.02), (0.12, 0.6), (0.92, 0.6)], [(0.7, 0.22), (0.7, 0.98)]],
        ],
        [ // 5
            [[(0.82, 0.03), (0.25, 0.03), (0.2, 0.45), (0.5, 0.38), (0.8, 0.48), (0.88, 0.7), (0.72, 0.92), (0.42, 0.98), (0.12, 0.88)]],
            [[(0.25, 0.03), (0.2, 0.45), (0.5, 0.38), (0.8, 0.48), (0.88, 0.7), (0.72, 0.92), (0.42, 0.98), (0.12, 0.88)], [(0.25, 0.03), (0.85, 0.03)]],
        ],
        [ // 6
            [[(0.75, 0.04), (0.48, 0.06), (0.25, 0.28), (0.12, 0.58), (0.2, 0.87), (0.47, 0.98), (0.75, 0.9), (0.85, 0.7), (0.7, 0.52), (0.45, 0.5), (0.2, 0.62)]],
            [[(0.62, 0.02), (0.3, 0.35), (0.15, 0.7), (0.3, 0.95), (0.6, 0.95), (0.8, 0.75), (0.65, 0.55), (0.35, 0.6), (0.18, 0.75)]],
        ],
        [ // 7
            [[(0.08, 0.03), (0.9, 0.03), (0.55, 0.45), (0.35, 0.98)]],
            [[(0.1, 0.05), (0.9, 0.03), (0.4, 0.98)], [(0.32, 0.5), (0.78, 0.5)]],
            [[(0.1, 0.15), (0.2, 0.04), (0.9, 0.04), (0.6, 0.4), (0.45, 0.98)]],
        ],
        [ // 8
            [[(0.72, 0.12), (0.5, 0.02), (0.27, 0.12), (0.28, 0.32), (0.5, 0.47), (0.76, 0.63), (0.8, 0.84), (0.5, 0.98), (0.2, 0.84), (0.24, 0.63), (0.5, 0.47), (0.72, 0.32), (0.72, 0.12)]],
            [[(0.5, 0.47), (0.25, 0.3), (0.3, 0.08), (0.5, 0.02), (0.7, 0.08), (0.75, 0.3), (0.5, 0.47), (0.2, 0.7), (0.3, 0.95), (0.5, 0.98), (0.78, 0.92), (0.82, 0.7), (0.5, 0.47)]],
        ],
        [ // 9
            [[(0.8, 0.3), (0.7, 0.07), (0.45, 0.02), (0.2, 0.15), (0.18, 0.37), (0.4, 0.5), (0.68, 0.44), (0.8, 0.28), (0.78, 0.6), (0.75, 0.98)]],
            [[(0.82, 0.25), (0.6, 0.03), (0.3, 0.06), (0.18, 0.3), (0.35, 0.48), (0.65, 0.42), (0.82, 0.22), (0.8, 0.6), (0.62, 0.9), (0.35, 0.98)]],
        ],
    ];

    public static void Draw(SKCanvas canvas, Random r, int label, double cx, double cy, double height, double shear, double pen, SKColor ink)
    {
        var templates = Templates[label];
        var template = templates[r.Next(templates.Length)];
        var width = height * (label == 1 ? Picture.Lerp(0.3, 0.55, r.NextDouble()) : Picture.Lerp(0.55, 0.8, r.NextDouble()));
        var angle = Picture.Lerp(-0.1, 0.1, r.NextDouble());
        var wobble = Picture.Lerp(0.005, 0.035, r.NextDouble());
        // Mouse events come every few percent of the digit's height (slow or quick drawing), at least a pixel apart.
        var step = Math.Max(1, Picture.Lerp(0.015, 0.07, r.NextDouble()) * height);
        var tremor = Picture.Lerp(0, 0.006, r.NextDouble()) * height;
        using var paint = new SKPaint
        {
            Color = ink,
            IsAntialias = r.NextDouble() < 0.6,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = (float)pen,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        var (sin, cos) = Math.SinCos(angle);
        foreach (var stroke in template)
        {
            // Template point -> canvas: wobble, scale to the box, slant, small rotation, move to the centre.
            var points = stroke.Select(p =>
            {
                var x = (p.X - 0.5 + Normal(r) * wobble) * width;
                var y = (p.Y - 0.5 + Normal(r) * wobble) * height;
                x += shear * -y;
                return (X: cx + cos * x - sin * y, Y: cy + sin * x + cos * y);
            }).ToList();
            var curve = CatmullRom(points, 24);
            using var path = new SKPath();
            var travelled = 0.0;
            var next = 0.0;
            for (var i = 0; i < curve.Count; i++)
            {
                if (i > 0) travelled += Math.Sqrt(Sq(curve[i].X - curve[i - 1].X) + Sq(curve[i].Y - curve[i - 1].Y));
                if (i > 0 && i < curve.Count - 1 && travelled < next) continue;
                // A mouse reports where the hand is at each event: uneven spacing, a little tremor.
                var x = (float)(curve[i].X + Normal(r) * tremor);
                var y = (float)(curve[i].Y + Normal(r) * tremor);
                if (i == 0) path.MoveTo(x, y);
                else path.LineTo(x, y);
                next = travelled + step * Picture.Lerp(0.4, 1.6, r.NextDouble());
            }
            canvas.DrawPath(path, paint);
        }
    }

    private static List<(double X, double Y)> CatmullRom(List<(double X, double Y)> p, int perSegment)
    {
        if (p.Count < 3) return Enumerable.Range(0, perSegment + 1).Select(i => Mix(p[0], p[^1], i / (double)perSegment)).ToList();
        var result = new List<(double X, double Y)>();
        for (var i = 0; i < p.Count - 1; i++)
        {
            var p0 = p[Math.Max(0, i - 1)];
            var p1 = p[i];
            var p2 = p[i + 1];
            var p3 = p[Math.Min(p.Count - 1, i + 2)];
            for (var k = 0; k < perSegment; k++)
            {
                var t = k / (double)perSegment;
                result.Add((Spline(p0.X, p1.X, p2.X, p3.X, t), Spline(p0.Y, p1.Y, p2.Y, p3.Y, t)));
            }
        }
        result.Add(p[^1]);
        return result;

        static double Spline(double a, double b, double c, double d, double t) =>
            0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t * t + (3 * b - a - 3 * c + d) * t * t * t);

        static (double X, double Y) Mix((double X, double Y) a, (double X, double Y) b, double t) => (a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t);
    }

    private static double Sq(double v) => v * v;

    private static double Normal(Random r) =>
        Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}

/// <summary>24-bit BMP, bottom-up rows, as paint programs save it (transparency is not kept).</summary>
internal static class Bmp
{
    public static byte[] Encode(SKImage image)
    {
        using var bitmap = SKBitmap.FromImage(image);
        int w = bitmap.Width, h = bitmap.Height;
        var stride = (w * 3 + 3) / 4 * 4;
        var bytes = new byte[54 + stride * h];
        void Put32(int at, int v) => BitConverter.TryWriteBytes(bytes.AsSpan(at, 4), v);
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        Put32(2, bytes.Length);
        Put32(10, 54);
        Put32(14, 40);
        Put32(18, w);
        Put32(22, h);
        bytes[26] = 1;
        bytes[28] = 24;
        Put32(34, stride * h);
        for (var y = 0; y < h; y++)
        {
            var row = 54 + (h - 1 - y) * stride;
            for (var x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                bytes[row + 3 * x] = c.Blue;
                bytes[row + 3 * x + 1] = c.Green;
                bytes[row + 3 * x + 2] = c.Red;
            }
        }
        return bytes;
    }
}
