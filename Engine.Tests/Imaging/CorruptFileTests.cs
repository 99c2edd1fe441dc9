using DeepGpu.Imaging;
using Xunit;

namespace DeepGpu.Tests.Imaging;

/// <summary>Damaged files of every format end in a DeepGpuException (or a picture), never in a stray exception.</summary>
public sealed class CorruptFileTests
{
    [Theory]
    [MemberData(nameof(Codec.Formats), MemberType = typeof(Codec))]
    public void DamagedFiles_FailCleanly(string format)
    {
        var canvas = new Canvas(64, 48).Seven(16, 8, 48, 40, 4);
        using var image = canvas.ToImage(Canvas.Black, Canvas.White);
        byte[] good = Codec.Encode(image, format).ToArray();
        var random = new Random(format.Sum(c => c));

        for (int trial = 0; trial < 40; trial++)
        {
            byte[] bad;
            if (trial % 2 == 0)
            {
                bad = good[..random.Next(1, good.Length)];
            }
            else
            {
                bad = (byte[])good.Clone();
                for (int k = 0; k < 1 + trial / 4; k++) bad[random.Next(bad.Length)] = (byte)random.Next(256);
            }

            try
            {
                var result = DigitImage.Preprocess(new MemoryStream(bad), $"bad.{format}");
                Assert.Equal(784, result.Pixels.Length);
            }
            catch (DeepGpuException error)
            {
                Assert.StartsWith($"bad.{format} ", error.Message);
            }
        }
    }
}
