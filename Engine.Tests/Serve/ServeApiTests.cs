using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DeepGpu.Imaging;
using DeepGpu.Models;
using DeepGpu.Tests.Cli;
using DeepGpu.Tests.Imaging;

namespace DeepGpu.Tests.Serve;

/// <summary>The JSON API of <c>deepgpu serve</c>, against a real server on a loopback port.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeApiTests(ServeFixture serve)
{
    private HttpClient Http => serve.Http;

    private static ByteArrayContent Body(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static byte[] Encode(Canvas canvas, string format)
    {
        using var image = canvas.ToImage(Canvas.Black, Canvas.White);
        return Codec.Encode(image, format).ToArray();
    }

    private async Task<(HttpStatusCode Status, JsonElement Json)> Post(HttpContent content, string path = "api/predict")
    {
        using var response = await Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>What <c>deepgpu predict --json</c> (the default model, on the server's backend) prints for a file, without its "file" field.</summary>
    internal static string PredictJson(string file)
    {
        var r = CliTests.Run("predict", file, "--json", "--backend", "cpu");
        Assert.True(r.Code == 0, r.Err);
        return WithoutFile(r.Out.Trim());
    }

    internal static string WithoutFile(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        return JsonSerializer.Serialize(root.EnumerateObject().Where(p => p.Name != "file").ToDictionary(p => p.Name, p => p.Value));
    }

    [Fact]
    public async Task Health_and_model_metadata_answer()
    {
        Assert.Equal("{\"status\":\"ok\"}", await Http.GetStringAsync("healthz"));
        var model = JsonDocument.Parse(await Http.GetStringAsync("api/model")).RootElement;
        Assert.Equal(Model.DefaultModelName, model.GetProperty("name").GetString());
        Assert.Equal("deep-convnet", model.GetProperty("network").GetString());
        Assert.StartsWith("0.9", model.GetProperty("provenance").GetProperty("officialTestAccuracy").GetString());
        Assert.Equal([1, 28, 28], model.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), model.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("probabilities", model.GetProperty("outputs").GetString());
        var parameters = model.GetProperty("parameters").GetInt32();
        Assert.True(parameters > 1000, $"{parameters} parameters");
    }

    [Theory]
    [InlineData("png", "image/png")]
    [InlineData("jpg", "image/jpeg")]
    [InlineData("bmp", "application/octet-stream")]
    [InlineData("gif", null)]
    [InlineData("webp", "image/webp")]
    public async Task A_picture_gets_the_answer_predict_prints(string format, string? contentType)
    {
        var bytes = Encode(new Canvas(240, 200).Seven(80, 30, 170, 170, 14), format);
        var file = Path.Combine(serve.Directory, $"api-seven.{format}");
        File.WriteAllBytes(file, bytes);

        var (status, json) = await Post(Body(bytes, contentType));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(PredictJson(file), JsonSerializer.Serialize(json));
        Assert.Equal("7", json.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Pixels_as_json_are_classified_as_given_and_the_input_comes_back_on_request()
    {
        var canvas = new Canvas(28, 28).Ring(14, 14, 5, 8, 2.5);
        var pixels = canvas.Ink.Select(ink => ink ? 1f : 0f).ToArray();
        pixels[0] = 0.25f;
        using var model = Model.LoadDefault();
        var expected = model.Classify(pixels);

        var (status, json) = await Post(Body(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { pixels })), "application/json"), "api/predict?input=true");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected.Label, json.GetProperty("label").GetString());
        Assert.Equal(expected.Probability, json.GetProperty("probability").GetSingle());
        Assert.Equal(expected.Top.Select(t => t.Label), json.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("label").GetString()));
        Assert.Equal(pixels, json.GetProperty("input").EnumerateArray().Select(v => v.GetSingle()));
    }

    [Fact]
    public async Task A_blank_picture_says_no_digit_found()
    {
        var (status, json) = await Post(Body(Encode(new Canvas(100, 100), "png"), "image/png"), "api/predict?input=true");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("label").ValueKind);
        Assert.Equal(0, json.GetProperty("top").GetArrayLength());
        Assert.All(json.GetProperty("input").EnumerateArray(), v => Assert.Equal(0, v.GetSingle()));
    }

    public static TheoryData<string, string?, int, string> BadRequests => new()
    {
        { "empty", "image/png", 400, "empty" },
        { "text", "text/plain", 415, "not text/plain" },
        { "text-as-bytes", "application/octet-stream", 415, "not an image" },
        { "truncated-png", "image/png", 400, "truncated or corrupt" },
        { "huge-png", "image/png", 413, "20000x20000" },
        { "50mb", "image/png", 413, "16 MB limit" },
        { "json-not-object", "application/json", 400, "it is an array" },
        { "json-no-pixels", "application/json", 400, "it has no \"pixels\"" },
        { "json-short", "application/json", 400, "holds 3 values, not 784" },
        { "json-strings", "application/json", 400, "pixel 0 is a string" },
        { "json-out-of-range", "application/json", 400, "pixel 783 is 255" },
        { "json-broken", "application/json", 400, "not valid JSON" },
    };

    private static byte[] BadBody(string kind)
    {
        var pixels = new float[784];
        pixels[783] = 255;
        return kind switch
        {
            "empty" => [],
            "text" or "text-as-bytes" => Encoding.UTF8.GetBytes("this is not a picture"),
            "truncated-png" => Encode(new Canvas(200, 200).One(100, 20, 180, 12), "png")[..300],
            "huge-png" => DigitImageFileTests.PngHeader(20000, 20000),
            "50mb" => new byte[50_000_000],
            "json-not-object" => Encoding.UTF8.GetBytes("[1, 2, 3]"),
            "json-no-pixels" => Encoding.UTF8.GetBytes("{\"image\": []}"),
            "json-short" => Encoding.UTF8.GetBytes("{\"pixels\": [0, 0.5, 1]}"),
            "json-strings" => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { pixels = Enumerable.Repeat("0", 784) })),
            "json-out-of-range" => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { pixels })),
            "json-broken" => Encoding.UTF8.GetBytes("{\"pixels\": [0, 1"),
            _ => throw new ArgumentException(kind),
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_gets_its_status_and_one_sentence_and_the_server_answers_the_next(string kind, string? contentType, int expectedStatus, string expected)
    {
        var (status, json) = await Post(Body(BadBody(kind), contentType));

        Assert.Equal(expectedStatus, (int)status);
        var error = json.GetProperty("error").GetString()!;
        Assert.Contains(expected, error);
        Assert.DoesNotContain("\n", error);
        Assert.DoesNotContain(" at ", error);
        Assert.DoesNotContain("Exception", error);
        Assert.EndsWith(".", error);
        Assert.Single(json.EnumerateObject());

        var next = await Post(Body(Encode(new Canvas(200, 200).One(100, 20, 180, 14), "png"), "image/png"));
        Assert.Equal(HttpStatusCode.OK, next.Status);
        Assert.Equal("1", next.Json.GetProperty("label").GetString());
    }

    [Fact]
    public async Task Wrong_routes_and_methods_are_json_errors()
    {
        using var missing = await Http.GetAsync("no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Nothing is served at /no/such/page", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        using var get = await Http.GetAsync("api/predict");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("/api/predict answers POST, not GET.", JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_page_and_its_files_come_from_the_server_alone()
    {
        using var page = await Http.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<canvas id=\"canvas\"", html);
        foreach (var (path, type) in new[] { ("page.js", "text/javascript"), ("page.css", "text/css") })
        {
            using var file = await Http.GetAsync(path);
            Assert.Equal(type, file.Content.Headers.ContentType?.MediaType);
            var text = await file.Content.ReadAsStringAsync();
            Assert.True(text.Length > 1000, $"{path} is {text.Length} characters");
            Assert.DoesNotContain("http://", text);
            Assert.DoesNotContain("https://", text);
        }
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("http://", html);
    }

    [Fact]
    public async Task A_busy_port_is_one_sentence_and_exit_code_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var r = await Task.Run(() => CliTests.Run("serve", "--port", port.ToString(), "--backend", "cpu"));

        Assert.Equal(2, r.Code);
        Assert.Equal($"deepgpu serve: Cannot listen on 127.0.0.1:{port}: the port is already in use (pick another with --port).", r.Err.Trim().Split('\n')[^1]);
    }

    [Theory]
    [InlineData("--port", "70000", "--port must be a whole number from 0 to 65535")]
    [InlineData("--host", "example.org", "--host must be an IP address")]
    [InlineData("--clients", "4", "--clients and --requests go with --bench")]
    public void Bad_options_are_usage_errors(string option, string value, string expected)
    {
        var r = CliTests.Run("serve", option, value);
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.Contains("usage: deepgpu serve", r.Err);
    }
}
