using DeepGpu.Data;
using DeepGpu.Data.Augmentation;
using DeepGpu.Imaging;

namespace DeepGpu.Tests.Data;

public sealed class DigitDistortionTests
{
    private static readonly Dataset _sample = Mnist.LoadEmbeddedSample().Train.Take(200);

    [Fact]
    public void The_same_seed_and_round_give_the_same_images_and_other_rounds_differ()
    {
        var options = new DistortionOptions();
        var a = DigitDistortion.Apply(_sample, options, seed: 1, round: 1);
        var b = DigitDistortion.Apply(_sample, options, seed: 1, round: 1);
        var c = DigitDistortion.Apply(_sample, options, seed: 1, round: 2);
        Assert.Equal(a.Images, b.Images);
        Assert.NotEqual(a.Images, c.Images);
        Assert.Equal(_sample.Labels, a.Labels);
        Assert.Equal(_sample.SampleShape, a.SampleShape);
    }

    [Fact]
    public void Distorted_digits_are_placed_as_MNIST_places_them()
    {
        var distorted = DigitDistortion.Apply(_sample, new DistortionOptions { KeepFraction = 0 }, seed: 3, round: 1);
        for (var i = 0; i < distorted.Count; i++)
        {
            var pixels = distorted.GetImage(i).ToArray().Select(v => v / 255f).ToArray();
            var (x, y) = DigitImage.CentreOfMass(pixels);
            Assert.True(Math.Abs(x - 14f) < 1f && Math.Abs(y - 14f) < 1f, $"image {i}: centre of mass at ({x:F2}, {y:F2})");
            var (width, height) = InkBox(pixels);
            Assert.True(Math.Max(width, height) is >= 18 and <= 23, $"image {i}: ink box {width}x{height}, not 20 pixels on its longer side");
            Assert.True(pixels.Max() > 0.75f, $"image {i}: brightest pixel {pixels.Max():F2}");
        }
    }

    [Fact]
    public void Thicker_strokes_carry_more_ink_and_thinner_less()
    {
        static double Ink(DistortionOptions o) =>
            DigitDistortion.Apply(_sample, o with { KeepFraction = 0, ElasticAlpha = 0, MaxRotationDegrees = 0, MaxShear = 0, MaxAspect = 1 }, 5, 1)
                .Images.Sum(v => (double)v);
        var plain = Ink(new DistortionOptions { Thicker = 0, Thinner = 0 });
        var thick = Ink(new DistortionOptions { Thicker = 2, Thinner = -1.5f });
        var thin = Ink(new DistortionOptions { Thicker = -0.9f, Thinner = 1 });
        Assert.True(thick > 1.2 * plain, $"thicker: {thick / plain:F2} times the ink");
        Assert.True(thin < 0.9 * plain, $"thinner: {thin / plain:F2} times the ink");
    }

    [Fact]
    public void Keeping_every_image_changes_nothing()
    {
        var kept = DigitDistortion.Apply(_sample, new DistortionOptions { KeepFraction = 1 }, 1, 1);
        Assert.Equal(_sample.Images, kept.Images);
    }

    [Fact]
    public void Images_other_than_28x28_are_refused_with_a_sentence()
    {
        var wrong = new Dataset(new byte[2 * 100], [1, 2], new Tensors.Shape(1, 10, 10));
        var e = Assert.Throws<DataException>(() => DigitDistortion.Apply(wrong, new DistortionOptions(), 1, 1));
        Assert.Contains("28x28", e.Message);
    }

    private static (int Width, int Height) InkBox(float[] pixels)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                if (pixels[y * 28 + x] < 0.1f) continue;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
            }
        }
        return (x1 - x0 + 1, y1 - y0 + 1);
    }
}
