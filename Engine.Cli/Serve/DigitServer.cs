using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using DeepGpu.Imaging;
using DeepGpu.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepGpu.Cli.Serve;

/// <summary>
/// The web page and JSON API of <c>deepgpu serve</c> on Kestrel: <c>GET /</c> (the drawing page),
/// <c>POST /api/predict</c>, <c>GET /api/model</c>, <c>GET /healthz</c>. Every error is
/// <c>{"error": "one sentence"}</c> with a 4xx status; nothing answers with a stack trace.
/// </summary>
internal sealed class DigitServer : IAsyncDisposable
{
    /// <summary>Largest request body accepted; a longer one is answered 413 without being decoded.</summary>
    public const long MaxBodyBytes = 16L * 1024 * 1024;

    /// <summary>Largest body read (and discarded) to answer "too large"; a longer one has its connection closed.</summary>
    public const long DrainBytes = 4 * MaxBodyBytes;

    private readonly WebApplication _app;
    private readonly BatchingClassifier _classifier;
    private readonly ModelInfo _info;
    private readonly int _classes;
    // Decoding is CPU work and a large picture holds a lot of memory: no more at once than there are cores.
    private readonly SemaphoreSlim _decoders = new(Environment.ProcessorCount);

    private DigitServer(WebApplication app, Model model, string modelName)
    {
        _app = app;
        _classes = model.Network.Classes;
        _info = ModelInfo.Of(model, modelName);
        _classifier = new BatchingClassifier(model);
        Map(app);
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:5000/.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>How requests were batched so far.</summary>
    public (long Batches, long Inputs) BatchCounts => _classifier.Counts;

    /// <summary>
    /// Starts serving <paramref name="model"/> (which the server then uses from one thread; the caller keeps
    /// ownership) on <paramref name="host"/>:<paramref name="port"/>; port 0 picks a free one.
    /// </summary>
    /// <exception cref="DeepGpuException">The port is taken or the address cannot be listened on.</exception>
    public static async Task<DigitServer> StartAsync(Model model, string modelName, IPAddress host, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The command handles Ctrl-C itself, so the host must not install console handlers of its own.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = DrainBytes;
            kestrel.Listen(host, port);
        });
        var app = builder.Build();
        var server = new DigitServer(app, model, modelName);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            var where = new IPEndPoint(host, port);
            throw e.InnerException is AddressInUseException
                ? new DeepGpuException($"Cannot listen on {where}: the port is already in use (pick another with --port).", e)
                : new DeepGpuException($"Cannot listen on {where} ({e.Message.TrimEnd('.')}).", e);
        }
        var address = app.Urls.First();
        server.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>Stops listening, lets requests in flight finish, and stops the batch worker.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5));
        await _app.DisposeAsync();
        await _classifier.DisposeAsync();
        _decoders.Dispose();
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ApiError e)
            {
                await WriteError(context, e.Status, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
            {
                await WriteError(context, StatusCodes.Status500InternalServerError, "The server failed while answering this request.");
            }
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var path = context.Request.Path.Value;
            var allowed = context.Response.Headers.Allow.ToString();
            var message = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"Nothing is served at {path}; the API is POST /api/predict, GET /api/model and GET /healthz.",
                StatusCodes.Status405MethodNotAllowed => $"{path} answers {(allowed.Length > 0 ? allowed : "other methods")}, not {context.Request.Method}.",
                _ => $"The request could not be answered (HTTP {context.Response.StatusCode}).",
            };
            await WriteError(context, context.Response.StatusCode, message);
        });

        foreach (var file in PageFiles.All) app.MapGet(file.Route, context => PageFiles.Send(context, file));
        app.MapGet("/healthz", context => WriteJson(context, StatusCodes.Status200OK, w => w.WriteString("status", "ok")));
        app.MapGet("/api/model", context => WriteJson(context, StatusCodes.Status200OK, _info.Write));
        app.MapPost("/api/predict", PredictAsync);
    }

    private async Task PredictAsync(HttpContext context)
    {
        var request = context.Request;
        var wantsInput = request.Query.TryGetValue("input", out var flag) && flag.ToString() is "" or "1" or "true";
        var contentType = request.ContentType ?? "";
        var isJson = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (!isJson && !IsPictureType(contentType))
        {
            throw new ApiError(StatusCodes.Status415UnsupportedMediaType,
                $"Send a picture's bytes (e.g. Content-Type: image/png) or JSON {{\"pixels\": [784 numbers]}}, not {contentType.Split(';')[0]}.");
        }
        var body = await ReadBodyAsync(context);

        float[] input;
        bool found = true;
        if (isJson)
        {
            input = PixelsJson.Parse(body, _info.InputSize);
        }
        else
        {
            await _decoders.WaitAsync(context.RequestAborted);
            try
            {
                var picture = DigitImage.Preprocess(body, "The picture");
                (input, found) = (picture.Pixels, picture.Found);
            }
            catch (PictureException e)
            {
                throw new ApiError(e.Problem switch
                {
                    PictureProblem.NotAnImage => StatusCodes.Status415UnsupportedMediaType,
                    PictureProblem.TooLarge => StatusCodes.Status413PayloadTooLarge,
                    _ => StatusCodes.Status400BadRequest,
                }, e.Message);
            }
            finally
            {
                _decoders.Release();
            }
            if (_info.InputSize != DigitImage.PixelCount)
                throw new ApiError(StatusCodes.Status400BadRequest, $"This model takes {_info.InputSize} inputs, so it cannot read pictures; send JSON pixels instead.");
        }

        var prediction = found ? await _classifier.ClassifyAsync(input) : new Prediction(false, new float[_classes], []);
        await WriteJson(context, StatusCodes.Status200OK, writer =>
        {
            PredictionJson.WriteFields(writer, null, prediction);
            if (!wantsInput) return;
            writer.WriteStartArray("input");
            foreach (var v in input) writer.WriteNumberValue(Math.Round(v, 3));
            writer.WriteEndArray();
        });
    }

    // JSON is handled apart; text, forms and the like are not pictures, and saying so beats a decoder's guess.
    private static bool IsPictureType(string contentType) =>
        contentType.Length == 0
        || contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase);

    private static async Task<MemoryStream> ReadBodyAsync(HttpContext context)
    {
        var length = context.Request.ContentLength;
        // Beyond the drain limit the connection is dropped unread; below it, the body is read and thrown away
        // so that a client still sending sees the 413 rather than a broken connection.
        if (length > DrainBytes) throw TooLong(length.Value);
        var keep = !(length > MaxBodyBytes);
        var body = new MemoryStream(keep ? (int)(length ?? 64 * 1024) : 0);
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
                if (keep && total <= MaxBodyBytes) body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLong(null);
        }
        if (total > MaxBodyBytes) throw TooLong(total);
        body.Position = 0;
        return body;
    }

    private static ApiError TooLong(long? length) => new(StatusCodes.Status413PayloadTooLarge, length is { } n
        ? FormattableString.Invariant($"The request body is {n:N0} bytes, more than the {MaxBodyBytes / (1024 * 1024)} MB limit.")
        : FormattableString.Invariant($"The request body is more than the {MaxBodyBytes / (1024 * 1024)} MB limit."));

    // The answers are JSON for programs, never embedded in HTML: quotes and apostrophes stay readable.
    private static readonly JsonWriterOptions _jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Task WriteError(HttpContext context, int status, string message) =>
        WriteJson(context, status, w => w.WriteString("error", message));

    private static async Task WriteJson(HttpContext context, int status, Action<Utf8JsonWriter> fields)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, _jsonOptions))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>A request the API refuses: its status and one sentence.</summary>
    private sealed class ApiError(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }

    /// <summary>The JSON body <c>{"pixels": [...]}</c>: the network's input itself, 0 background to 1 ink.</summary>
    private static class PixelsJson
    {
        public static float[] Parse(MemoryStream body, int size)
        {
            const string shape = "{\"pixels\": [784 numbers from 0 to 1]}";
            if (body.Length == 0) throw new ApiError(StatusCodes.Status400BadRequest, $"The request body is empty; send {shape} or a picture.");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            }
            catch (JsonException e)
            {
                throw new ApiError(StatusCodes.Status400BadRequest, FormattableString.Invariant(
                    $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."));
            }
            using (document)
            {
                var root = document.RootElement;
                string Wrong(string what) => $"The JSON must be {shape}, but {what}.";
                if (root.ValueKind != JsonValueKind.Object) throw Bad(Wrong($"it is {Kind(root.ValueKind)}"));
                if (!root.TryGetProperty("pixels", out var pixels)) throw Bad(Wrong("it has no \"pixels\""));
                if (pixels.ValueKind != JsonValueKind.Array) throw Bad(Wrong($"\"pixels\" is {Kind(pixels.ValueKind)}"));
                var count = pixels.GetArrayLength();
                if (count != size) throw Bad(Wrong(FormattableString.Invariant($"\"pixels\" holds {count} values, not {size}")));
                var input = new float[size];
                var i = 0;
                foreach (var value in pixels.EnumerateArray())
                {
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out var v) || !float.IsFinite(v))
                        throw Bad(Wrong(FormattableString.Invariant($"pixel {i} is {Kind(value.ValueKind)}")));
                    if (v is < 0 or > 1) throw Bad(Wrong(FormattableString.Invariant($"pixel {i} is {v}")));
                    input[i++] = v;
                }
                return input;
            }
        }

        private static ApiError Bad(string message) => new(StatusCodes.Status400BadRequest, message);

        private static string Kind(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number out of range",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };
    }

    /// <summary>What <c>GET /api/model</c> says about the model, worked out once.</summary>
    private sealed record ModelInfo(string Name, string Network, int[] Input, IReadOnlyList<string> Labels, int Parameters,
        bool Scores, string Backend, int Epochs, double? TestAccuracy, IReadOnlyDictionary<string, string> Provenance)
    {
        public int InputSize => Input.Aggregate(1, (a, b) => a * b);

        public static ModelInfo Of(Model model, string name) => new(
            name, model.Spec.Name ?? "custom", model.Spec.Input,
            Enumerable.Range(0, model.Network.Classes).Select(model.LabelOf).ToList(),
            model.Network.ParameterCount, model.OutputsScores, model.Backend.Name,
            model.History.Count, model.History.Count > 0 ? model.History[^1].TestAccuracy : null, new Dictionary<string, string>(model.Provenance));

        public void Write(Utf8JsonWriter w)
        {
            w.WriteString("name", Name);
            w.WriteString("network", Network);
            w.WriteStartArray("input");
            foreach (var d in Input) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteStartArray("labels");
            foreach (var l in Labels) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteNumber("parameters", Parameters);
            w.WriteString("outputs", Scores ? "scores" : "probabilities");
            w.WriteString("backend", Backend);
            w.WriteNumber("epochs", Epochs);
            if (TestAccuracy is { } a) w.WriteNumber("testAccuracy", Math.Round(a, 4));
            else w.WriteNull("testAccuracy");
            // How the model was made (recipe, training data, official test accuracy, date), where its file says.
            w.WriteStartObject("provenance");
            foreach (var (key, value) in Provenance) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteNumber("maxBatch", BatchingClassifier.MaxBatch);
            w.WriteNumber("maxBodyBytes", MaxBodyBytes);
            w.WriteNumber("maxPixels", DigitImage.MaxPixels);
        }
    }

    /// <summary>A host lifetime that leaves Ctrl-C and SIGTERM to the caller.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
