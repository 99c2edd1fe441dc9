using System.Diagnostics;
using System.Net.Http.Headers;
using DeepGpu.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DeepGpu.Cli.Serve;

/// <summary>
/// Load on a running server as a paint program's users would make it: PNG pictures of digits, black on white,
/// posted by concurrent clients over HTTP. <c>deepgpu serve --bench</c> times it; the tests check its answers.
/// </summary>
internal static class ServeLoad
{
    /// <summary>
    /// <paramref name="count"/> PNGs of the embedded sample's held-out digits, each scaled up to
    /// <paramref name="side"/> pixels square like a drawing on a paint program's canvas, dark ink on white.
    /// </summary>
    public static IReadOnlyList<(byte[] Png, int Label)> PaintPictures(int count, int side = 280)
    {
        var test = Mnist.LoadEmbeddedSample().Test;
        var pictures = new List<(byte[], int)>(count);
        var encoder = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
        for (var i = 0; i < count; i++)
        {
            var index = i % test.Count;
            using var digit = Image.LoadPixelData<L8>(test.GetImage(index), 28, 28);
            // Larger digits of the list are drawn a little off-centre and smaller, as people do.
            var size = side * (8 + i % 3) / 10;
            digit.Mutate(c => c.Resize(size, size, KnownResamplers.Triangle).Invert());
            using var ink = digit.CloneAs<Rgb24>();
            using var canvas = new Image<Rgb24>(side, side, new Rgb24(255, 255, 255));
            var offset = (side - size) / 2 + (i % 5 - 2) * side / 40;
            canvas.Mutate(c => c.DrawImage(ink, new Point(offset, (side - size) / 2), 1f));
            using var png = new MemoryStream();
            canvas.Save(png, encoder);
            pictures.Add((png.ToArray(), test.Labels[index]));
        }
        return pictures;
    }

    /// <summary>What one run measured.</summary>
    /// <param name="Answers">The body of each answer, in the order of the pictures.</param>
    /// <param name="LatenciesMs">Each request's time from sending to the whole answer read, sorted.</param>
    public sealed record Result(string[] Answers, double[] LatenciesMs, double Seconds)
    {
        public double PerSecond => Answers.Length / Seconds;

        public double Percentile(double p) => LatenciesMs[Math.Min(LatenciesMs.Length - 1, (int)Math.Ceiling(p * LatenciesMs.Length) - 1)];
    }

    /// <summary>
    /// Posts <paramref name="requests"/> pictures (cycling through <paramref name="pictures"/>) to
    /// <c>/api/predict</c> from <paramref name="clients"/> concurrent clients, each with its own connection.
    /// A request that is not answered with 200 fails the run.
    /// </summary>
    public static async Task<Result> RunAsync(Uri server, IReadOnlyList<byte[]> pictures, int requests, int clients, CancellationToken cancel = default)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseProxy = false })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var answers = new string[requests];
        var latencies = new double[requests];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                using var content = new ByteArrayContent(pictures[i % pictures.Count]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                var start = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("api/predict", content, cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                    throw new DeepGpuException($"Request {i} was answered {(int)response.StatusCode}: {body}");
                answers[i] = body;
            }
        }, cancel)));
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new Result(answers, latencies, seconds);
    }
}
