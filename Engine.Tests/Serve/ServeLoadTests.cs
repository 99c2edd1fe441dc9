using System.Text.Json;
using DeepGpu.Cli.Serve;
using DeepGpu.Tests.Cli;

namespace DeepGpu.Tests.Serve;

/// <summary>Many concurrent requests: each gets its own picture's answer, the one <c>predict</c> gives.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeLoadTests(ServeFixture serve)
{
    [Fact]
    public async Task Two_thousand_pictures_from_16_clients_each_get_the_answer_predict_gives()
    {
        const int count = 2000, clients = 16;
        var pictures = ServeLoad.PaintPictures(count, side: 140);
        var folder = Directory.CreateDirectory(Path.Combine(serve.Directory, "load")).FullName;
        var files = pictures.Select((p, i) => Path.Combine(folder, $"{i:D4}.png")).ToArray();
        for (var i = 0; i < count; i++) File.WriteAllBytes(files[i], pictures[i].Png);
        var predict = CliTests.Run(["predict", .. files, "--json", "--backend", "cpu"]);
        Assert.True(predict.Code == 0, predict.Err);
        var expected = predict.Out.Trim().Split('\n').Select(ServeApiTests.WithoutFile).ToArray();
        Assert.Equal(count, expected.Length);
        var before = serve.Server.BatchCounts;

        var run = await ServeLoad.RunAsync(serve.Server.Address, pictures.Select(p => p.Png).ToList(), count, clients)
            .WaitAsync(TimeSpan.FromMinutes(3));

        var after = serve.Server.BatchCounts;
        var wrong = Enumerable.Range(0, count).Where(i => !SameAnswer(run.Answers[i], expected[i])).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {count} answers differ from predict's, e.g. picture {wrong.FirstOrDefault()}: {run.Answers[wrong.FirstOrDefault()]} instead of {expected[wrong.FirstOrDefault()]}");
        Assert.Equal(count, after.Inputs - before.Inputs);
        // Sixteen clients at once keep the model busy, so requests must have shared batches.
        Assert.True(after.Batches - before.Batches < count, $"{after.Batches - before.Batches} batches for {count} requests");
        var right = Enumerable.Range(0, count).Count(i => JsonDocument.Parse(run.Answers[i]).RootElement.GetProperty("label").GetString() == pictures[i].Label.ToString());
        Assert.True(right >= count * 0.8, $"{right} of {count} digits recognised");
    }

    // A batch of several sums in another order than a batch of one, so the last bits may differ; another
    // picture's answer would differ by far more than this.
    private const float Tolerance = 1e-5f;

    /// <summary>The same top three (labels in the same order, unless two are tied) with the same probabilities.</summary>
    private static bool SameAnswer(string served, string expected)
    {
        static (string Label, float P)[] Top(string json) => JsonDocument.Parse(json).RootElement.GetProperty("top").EnumerateArray()
            .Select(t => (t.GetProperty("label").GetString()!, t.GetProperty("probability").GetSingle())).ToArray();
        var (a, b) = (Top(served), Top(expected));
        return a.Length == b.Length && a.Zip(b).All(p =>
            Math.Abs(p.First.P - p.Second.P) <= Tolerance && (p.First.Label == p.Second.Label || b.Count(t => Math.Abs(t.P - p.Second.P) <= Tolerance) > 1));
    }
}
