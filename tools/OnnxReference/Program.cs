// ONNX Runtime (CPU) timed on models DeepGpu exported (`deepgpu export MODEL --onnx FILE`), on the inference workloads
// of `deepgpu bench`: images per second at batch 1000 and milliseconds at batch 1, printed in its --json format with
// backend "onnxruntime". The timing mirrors Engine/Diagnostics/QuickBench.cs: one untimed call, a warm-up of at
// least 40 calls and half a second (within a third of the budget), then the median of separately timed calls.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

var models = new List<(string Name, string Path)>();
var rounds = 1;
var budget = 3.0;
var threads = 2;
const string UsageLine = "usage: OnnxReference --model NAME=FILE.onnx [--model ...] [--repeat N] [--budget SECONDS] [--threads N]";
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : Fail($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--model":
            var spec = Next();
            var eq = spec.IndexOf('=');
            var path = eq < 0 ? spec : spec[(eq + 1)..];
            if (!File.Exists(path)) Fail($"no ONNX file at '{path}'");
            models.Add((eq < 0 ? Path.GetFileNameWithoutExtension(path) : spec[..eq], path));
            break;
        case "--repeat":
            if (!int.TryParse(Next(), out rounds) || rounds < 1) Fail("--repeat needs a positive count");
            break;
        case "--budget":
            if (!double.TryParse(Next(), CultureInfo.InvariantCulture, out budget) || budget <= 0) Fail("--budget needs positive seconds");
            break;
        case "--threads":
            if (!int.TryParse(Next(), out threads) || threads < 1) Fail("--threads needs a positive count");
            break;
        case "-h" or "--help":
            Console.Error.WriteLine(UsageLine);
            return 0;
        default:
            Fail($"unexpected argument '{args[i]}'");
            break;
    }
}
if (models.Count == 0) Fail("name at least one model with --model NAME=FILE.onnx");

Console.Error.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}: {threads} intra-op threads, all graph optimisations, budget {budget} s per figure");
for (var round = 0; round < rounds; round++)
{
    foreach (var (name, path) in models)
    {
        var perSecond = 1000 / Seconds(path, 1000, repeats: 7);
        Print(new { backend = "onnxruntime", kind = "infer", model = name, batch = 1000, imagesPerSecond = Significant(perSecond) });
        var ms = Seconds(path, 1, repeats: 101) * 1000;
        Print(new { backend = "onnxruntime", kind = "latency", model = name, batch = 1, msPerBatch = Significant(ms) });
    }
}
return 0;

// Median seconds of one inference at a batch size, into preallocated input and output tensors.
double Seconds(string path, int batch, int repeats)
{
    using var options = new SessionOptions
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
    };
    using var session = new InferenceSession(path, options);
    var input = session.InputMetadata.Single();
    var output = session.OutputMetadata.Single();
    var inputShape = input.Value.Dimensions.Select((d, i) => i == 0 ? batch : (long)d).ToArray();
    var outputShape = output.Value.Dimensions.Select((d, i) => i == 0 ? batch : (long)d).ToArray();
    // Random pixels in [0, 1): the same stream as QuickBench.FillRandomBatch.
    var rng = new Random(1);
    var pixels = new float[inputShape.Aggregate(1L, (a, b) => a * b)];
    for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
    var probabilities = new float[outputShape.Aggregate(1L, (a, b) => a * b)];
    using var x = OrtValue.CreateTensorValueFromMemory(pixels, inputShape);
    using var y = OrtValue.CreateTensorValueFromMemory(probabilities, outputShape);
    using var run = new RunOptions();
    string[] inputNames = [input.Key], outputNames = [output.Key];
    OrtValue[] inputs = [x], outputs = [y];
    return MedianSeconds(() => session.Run(run, inputNames, inputs, outputNames, outputs), warmup: 2, repeats);
}

// QuickBench.MedianSeconds: one untimed call, then a warm-up of at least max(warmup, 40) calls and 0.5 s while
// within a third of the budget, then the median of up to `repeats` separately timed calls (fewer when one call
// would overrun the budget). ONNX Runtime's CPU runs are synchronous.
double MedianSeconds(Action once, int warmup, int repeats)
{
    var first = Stopwatch.StartNew();
    once();
    var single = first.Elapsed.TotalSeconds;
    var warming = Stopwatch.StartNew();
    for (var i = 1; (i < warmup || i < 40 || warming.Elapsed.TotalSeconds < 0.5) && warming.Elapsed.TotalSeconds + single < budget / 3; i++) once();
    repeats = Math.Clamp((int)(budget / Math.Max(single, 1e-9)), 1, repeats);
    var times = new double[repeats];
    for (var i = 0; i < repeats; i++)
    {
        var clock = Stopwatch.StartNew();
        once();
        times[i] = clock.Elapsed.TotalSeconds;
    }
    Array.Sort(times);
    return times[repeats / 2];
}

// BenchCommand.Significant: four significant digits.
static double Significant(double v) => v == 0 ? 0 : Math.Round(v, Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(v)))));

static void Print(object figure)
{
    Console.WriteLine(JsonSerializer.Serialize(figure));
    Console.Out.Flush();
}

static string Fail(string message)
{
    Console.Error.WriteLine($"{UsageLine}: {message}");
    Environment.Exit(2);
    return message;
}
