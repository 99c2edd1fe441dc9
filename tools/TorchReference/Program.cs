// libtorch (through TorchSharp) timed on the workloads of `deepgpu bench`, printed in its --json format with
// backend "libtorch", so the two can be compared side by side on the same machine in one sitting.
// The timing mirrors Engine/Diagnostics/QuickBench.cs: one untimed call, a warm-up of at least 40 calls and
// half a second (within a third of the budget), then the median of separately timed calls.
using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

var only = (string?)null;
var rounds = 1;
var budget = 3.0;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw Usage($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--only":
            only = Next();
            if (only is not ("gemm" or "train" or "infer")) throw Usage("--only must be gemm, train or infer");
            break;
        case "--repeat":
            if (!int.TryParse(Next(), out rounds) || rounds < 1) throw Usage("--repeat needs a positive count");
            break;
        case "--budget":
            if (!double.TryParse(Next(), System.Globalization.CultureInfo.InvariantCulture, out budget) || budget <= 0) throw Usage("--budget needs positive seconds");
            break;
        case "-h" or "--help":
            Console.Error.WriteLine("usage: TorchReference [--only gemm|train|infer] [--repeat N] [--budget SECONDS]");
            return 0;
        default:
            throw Usage($"unexpected argument '{args[i]}'");
    }
}

PreloadIosInitStandIn();

// Two intra-op threads (this machine's cores, as DeepGpu's CPU backends use); interop threads before any work.
torch.set_num_interop_threads(1);
torch.set_num_threads(2);
Console.Error.WriteLine($"libtorch via TorchSharp: {torch.get_num_threads()} threads, {torch.get_num_interop_threads()} interop, budget {budget} s per figure");

for (var round = 0; round < rounds; round++)
{
    if (only is null or "gemm")
    {
        foreach (var n in new[] { 256, 512, 1024 }) Print(Gemm(n));
    }
    if (only is null or "train")
    {
        foreach (var name in new[] { "two-layer", "mlp", "simple-convnet", "deep-convnet" }) Print(Train(name));
    }
    if (only is null or "infer")
    {
        Print(Infer("simple-convnet"));
        Print(Latency("simple-convnet"));
    }
}
return 0;

// Where fix-old-libstdcxx.sh built libiosinit.so (a libstdc++ older than GCC 13, as Debian 12's), load it into
// the global symbol scope before TorchSharp loads libLibTorchSharp.so, which then finds the hook it calls there.
static void PreloadIosInitStandIn()
{
    var path = Path.Combine(AppContext.BaseDirectory, "libiosinit.so");
    if (!OperatingSystem.IsLinux() || !File.Exists(path)) return;
    const int RtldNow = 2, RtldGlobal = 0x100;
    if (Native.dlopen(path, RtldNow | RtldGlobal) == 0) throw new InvalidOperationException($"could not load {path}");
}

static ArgumentException Usage(string message)
{
    Console.Error.WriteLine($"usage: TorchReference [--only gemm|train|infer] [--repeat N] [--budget SECONDS]: {message}");
    Environment.Exit(2);
    return new ArgumentException(message);
}

// --- the figures ---------------------------------------------------------------------------------------

// GFLOP/s of an n×n×n float32 GEMM into a preallocated output (addmm_ with beta 0: C = A·B, as DeepGpu's Gemm).
(string Json, double Value) Gemm(int n)
{
    torch.manual_seed(1);
    using var a = torch.rand(n, n);
    using var b = torch.rand(n, n);
    using var c = torch.zeros(n, n);
    void Once() => c.addmm_(a, b, beta: 0, alpha: 1);
    var clock = Stopwatch.StartNew();
    Once();
    var calls = Math.Clamp((int)(0.02 / clock.Elapsed.TotalSeconds), 1, 1000);
    var seconds = MedianSeconds(() =>
    {
        for (var i = 0; i < calls; i++) Once();
    }, warmup: 1, repeats: 7);
    var gflops = 2.0 * n * n * n * calls / seconds / 1e9;
    return (JsonSerializer.Serialize(new { backend = "libtorch", kind = "gemm", n, gflops = Significant(gflops) }), gflops);
}

// Milliseconds per training step at batch 100: zero_grad, forward, softmax cross-entropy, backward, optimizer step.
(string Json, double Value) Train(string model, int batch = 100)
{
    torch.manual_seed(1);
    using var net = Network(model);
    net.train();
    using var x = RandomInputs(batch);
    using var y = Labels(batch);
    using var loss = CrossEntropyLoss();
    using var optimizer = model is "simple-convnet" or "deep-convnet"
        ? (optim.Optimizer)optim.Adam(net.parameters(), lr: 0.001)
        : optim.SGD(net.parameters(), 0.1);
    var seconds = MedianSeconds(() =>
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var l = loss.forward(net.forward(x), y);
        l.backward();
        optimizer.step();
    }, warmup: 3, repeats: 15);
    var ms = seconds * 1000;
    return (JsonSerializer.Serialize(new { backend = "libtorch", kind = "train", model, batch, msPerStep = Significant(ms) }), ms);
}

// Images per second of inference (softmax probabilities out, as DeepGpu's inference plan) at batch 1000.
(string Json, double Value) Infer(string model, int batch = 1000)
{
    torch.manual_seed(1);
    using var net = Network(model);
    net.eval();
    using var x = RandomInputs(batch);
    var seconds = MedianSeconds(() =>
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        functional.softmax(net.forward(x), 1);
    }, warmup: 2, repeats: 7);
    var perSecond = batch / seconds;
    return (JsonSerializer.Serialize(new { backend = "libtorch", kind = "infer", model, batch, imagesPerSecond = Significant(perSecond) }), perSecond);
}

// Milliseconds of one inference at batch 1 (softmax probabilities out), as `deepgpu bench`'s latency figure.
(string Json, double Value) Latency(string model)
{
    torch.manual_seed(1);
    using var net = Network(model);
    net.eval();
    using var x = RandomInputs(1);
    var seconds = MedianSeconds(() =>
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        functional.softmax(net.forward(x), 1);
    }, warmup: 2, repeats: 101);
    var ms = seconds * 1000;
    return (JsonSerializer.Serialize(new { backend = "libtorch", kind = "latency", model, batch = 1, msPerBatch = Significant(ms) }), ms);
}

// --- helpers ------------------------------------------------------------------------------------------------

// The networks of Engine/Models/Networks.cs for 1x28x28 inputs and 10 classes (libtorch's default init).
static Sequential Network(string name)
{
    static Conv2d Conv(long inputs, long filters, long pad = 1) => Conv2d(inputs, filters, 3, stride: 1, padding: pad);
    return name switch
    {
        "two-layer" => Sequential(Flatten(), Linear(784, 50), ReLU(), Linear(50, 10)),
        "mlp" => Sequential(
            Flatten(),
            Linear(784, 100), ReLU(), Linear(100, 100), ReLU(), Linear(100, 100), ReLU(),
            Linear(100, 100), ReLU(), Linear(100, 100), ReLU(),
            Linear(100, 10)),
        "simple-convnet" => Sequential(
            Conv2d(1, 30, 5, stride: 1, padding: 0L), ReLU(), MaxPool2d(2, 2),
            Flatten(), Linear(30 * 12 * 12, 100), ReLU(), Linear(100, 10)),
        "deep-convnet" => Sequential(
            Conv(1, 16), ReLU(), Conv(16, 16), ReLU(), MaxPool2d(2, 2),     // 28 → 28 → 14
            Conv(16, 32), ReLU(), Conv(32, 32, pad: 2), ReLU(), MaxPool2d(2, 2), // 14 → 16 → 8
            Conv(32, 64), ReLU(), Conv(64, 64), ReLU(), MaxPool2d(2, 2),    // 8 → 4
            Flatten(), Linear(64 * 4 * 4, 50), ReLU(), Dropout(0.5),
            Linear(50, 10), Dropout(0.5)),
        _ => throw new ArgumentException($"unknown network '{name}'"),
    };
}

// Random inputs in [0, 1) (the same stream as QuickBench.FillRandomBatch) as a batch of 1x28x28 images.
static Tensor RandomInputs(int batch)
{
    var rng = new Random(1);
    var values = new float[batch * 28 * 28];
    for (var i = 0; i < values.Length; i++) values[i] = (float)rng.NextDouble();
    return torch.tensor(values, new long[] { batch, 1, 28, 28 });
}

static Tensor Labels(int batch) => torch.tensor(Enumerable.Range(0, batch).Select(i => (long)(i % 10)).ToArray());

// QuickBench.MedianSeconds: one untimed call, then a warm-up of at least max(warmup, 40) calls and 0.5 s while
// within a third of the budget, then the median of up to `repeats` separately timed calls (fewer when one call
// would overrun the budget). libtorch's CPU ops are synchronous, so no device synchronisation is needed.
double MedianSeconds(Action run, int warmup, int repeats)
{
    var first = Stopwatch.StartNew();
    run();
    var once = first.Elapsed.TotalSeconds;
    var warming = Stopwatch.StartNew();
    for (var i = 1; (i < warmup || i < 40 || warming.Elapsed.TotalSeconds < 0.5) && warming.Elapsed.TotalSeconds + once < budget / 3; i++) run();
    repeats = Math.Clamp((int)(budget / Math.Max(once, 1e-9)), 1, repeats);
    var times = new double[repeats];
    for (var i = 0; i < repeats; i++)
    {
        var clock = Stopwatch.StartNew();
        run();
        times[i] = clock.Elapsed.TotalSeconds;
    }
    Array.Sort(times);
    return times[repeats / 2];
}

// BenchCommand.Significant: four significant digits.
static double Significant(double v) => v == 0 ? 0 : Math.Round(v, Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(v)))));

static void Print((string Json, double Value) figure)
{
    Console.WriteLine(figure.Json);
    Console.Out.Flush();
}

static class Native
{
    [System.Runtime.InteropServices.DllImport("libc.so.6", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    public static extern nint dlopen(string path, int flags);
}
