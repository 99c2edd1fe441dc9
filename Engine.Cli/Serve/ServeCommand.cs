using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using DeepGpu.Models;

namespace DeepGpu.Cli.Serve;

/// <summary>deepgpu serve: a drawing page and a JSON API that say which digit a picture shows.</summary>
internal sealed class ServeCommand : CliCommand
{
    public const int DefaultPort = 8000;

    /// <summary>Shortest warm-up of <c>--bench</c> before the timed run.</summary>
    private static readonly TimeSpan _warmUp = TimeSpan.FromSeconds(5);

    private readonly Option<string?> _model = CliOptions.Path("--model", "M", "the model file to answer with (default: the model that ships inside deepgpu)");
    private readonly Option<int> _port = new("--port")
    {
        HelpName = "P",
        Description = $"the port to listen on (default {DefaultPort}; 0 picks a free one)",
        DefaultValueFactory = _ => DefaultPort,
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= IPEndPoint.MaxPort) return port;
            r.AddError($"--port must be a whole number from 0 to {IPEndPoint.MaxPort}, not '{text}'.");
            return 0;
        },
    };
    private readonly Option<IPAddress> _host = new("--host")
    {
        HelpName = "H",
        Description = "the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets other machines reach it)",
        DefaultValueFactory = _ => IPAddress.Loopback,
        CustomParser = r =>
        {
            var text = r.Tokens[^1].Value;
            if (text == "localhost") return IPAddress.Loopback;
            if (IPAddress.TryParse(text, out var address)) return address;
            r.AddError($"--host must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, or localhost, not '{text}'.");
            return IPAddress.Loopback;
        },
    };
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<bool> _bench = CliOptions.Flag("--bench", "instead of serving: time the API on a free loopback port (see below)");
    private readonly Option<int> _clients = CliOptions.PositiveInt("--clients", 16, "with --bench: concurrent clients");
    private readonly Option<int> _requests = CliOptions.PositiveInt("--requests", 4000, "with --bench: pictures posted in the timed run");

    public ServeCommand() : base("serve", "a web page to draw digits on, and a JSON API, answered by a model")
    {
        foreach (var option in new Option[] { _model, _port, _host, _backend, _bench, _clients, _requests }) Options.Add(option);
    }

    public override string Details => $$"""
        Open the address it prints and draw a digit. The API:
          POST /api/predict  a picture (PNG, JPEG, BMP, GIF, TIFF, WebP) or JSON {"pixels": [784 numbers from 0 to 1]};
                             answers as predict --json does ("?input=true" adds the 28x28 input the network saw)
          GET /api/model     the model's metadata
          GET /healthz       {"status":"ok"}
        Errors are {"error": "one sentence"} with 400, 413 or 415. Ctrl-C stops the server.
        --bench posts 280x280 PNG digits from --clients clients, after a warm-up, and prints predictions per
        second, latency percentiles and the CPU time a prediction took (server and clients together).
        examples:
          deepgpu serve
          deepgpu serve --model convnet.safetensors --port 8080
          curl --data-binary @five.png -H 'Content-Type: image/png' http://127.0.0.1:{{DefaultPort}}/api/predict

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var modelPath = parse.GetValue(_model);
        var bench = parse.GetValue(_bench);
        if (!bench && (Given(parse, _clients) || Given(parse, _requests))) throw new UsageException("--clients and --requests go with --bench.");
        if (bench && (Given(parse, _port) || Given(parse, _host))) throw new UsageException("--bench listens on a free loopback port of its own; leave out --port and --host.");

        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        using var model = modelPath is null ? Model.LoadDefault(backend) : Model.Load(modelPath, backend);
        var name = modelPath is null ? Model.DefaultModelName : Path.GetFileName(modelPath);
        return bench
            ? Bench(model, name, parse.GetValue(_clients), parse.GetValue(_requests), terminal).GetAwaiter().GetResult()
            : Serve(model, name, parse.GetValue(_host)!, parse.GetValue(_port), terminal).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(Model model, string name, IPAddress host, int port, Terminal terminal)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(terminal.Cancel);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await using (var server = await DigitServer.StartAsync(model, name, host, port))
        {
            terminal.Out.WriteLine($"Serving {name} at {server.Address} (Ctrl-C stops it).");
            terminal.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                terminal.Err.WriteLine("Stopping: finishing the requests in flight.");
            }
        }
        terminal.Err.WriteLine("Stopped.");
        return 0;
    }

    private static async Task<int> Bench(Model model, string name, int clients, int requests, Terminal terminal)
    {
        var pictures = ServeLoad.PaintPictures(200).Select(p => p.Png).ToList();
        await using var server = await DigitServer.StartAsync(model, name, IPAddress.Loopback, 0);
        // Warm-up runs let .NET recompile the hot paths before the timed one: at least a quarter of the timed
        // requests, and for at least WarmUp, since the compiler thread shares the cores with the load.
        var warming = Stopwatch.StartNew();
        do
        {
            await ServeLoad.RunAsync(server.Address, pictures, Math.Max(requests / 4, clients), clients);
        }
        while (warming.Elapsed < _warmUp);
        var before = server.BatchCounts;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var r = await ServeLoad.RunAsync(server.Address, pictures, requests, clients);
        // CPU time of the whole process, clients included: what a prediction costs whatever else shares the cores.
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / requests;
        var after = server.BatchCounts;
        var meanBatch = (double)(after.Inputs - before.Inputs) / Math.Max(1, after.Batches - before.Batches);
        terminal.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serve {name} on {model.Backend.Name}: {requests} predictions of 280x280 PNGs from {clients} clients in {r.Seconds:F2} s: " +
            $"{r.PerSecond:F0} predictions/s, latency p50 {r.Percentile(0.50):F1} ms, p99 {r.Percentile(0.99):F1} ms, max {r.LatenciesMs[^1]:F1} ms; " +
            $"mean batch {meanBatch:F1}; CPU {cpuMs:F2} ms per prediction"));
        return 0;
    }
}
