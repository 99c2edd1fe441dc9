using System.CommandLine;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;
using DeepGpu.Diagnostics;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu bench: a quick side-by-side table of GEMM, training-step and inference speed per backend.</summary>
internal sealed class BenchCommand : CliCommand
{
    private readonly Option<string[]> _backends = new("--backend")
    {
        HelpName = "B",
        Description = "a backend to time (repeatable; default: every backend present but ilgpu-cpu, a simulator too slow "
            + "for these sizes: asked for, it gets small figures only)",
        CustomParser = r =>
        {
            var names = r.Tokens.Select(t => t.Value).ToArray();
            foreach (var n in names.Where(n => !BackendFactory.Names.Contains(n)))
            {
                r.AddError($"--backend must be one of {string.Join(", ", BackendFactory.Names)}, not '{n}'.");
            }
            return names;
        },
    };
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per figure");
    private readonly Option<float?> _budget = CliOptions.PositiveFloat("--budget", "about how long each figure may take, in seconds (default 3); slow backends get fewer repeats", "S");

    public BenchCommand() : base("bench", "time GEMM, training steps and inference on each backend, side by side")
    {
        Options.Add(_backends);
        Options.Add(_json);
        Options.Add(_budget);
    }

    public override string Details => """
        figures: GEMM GFLOP/s at n = 256, 512, 1024 (on a GPU 1024, 2048, 4096, then the networks' own GEMM shapes,
        beside cuBLAS on CUDA where it loads); ms per training step at batch 100 for two-layer,
        mlp 5x100 (SGD), simple-convnet and deep-convnet (Adam); simple-convnet inference images/s at batch 1000
        and its latency at batch 1 (ms); on the cpu backend first the measured FP32 FMA peak per vector tier, on one
        core and on all. Each is the median of repeated runs after a warm-up, with the device synchronised.
        A training step is gathered, run and updated as in training; on CUDA it replays as a CUDA graph (unless
        DEEPGPU_CUDA_GRAPHS=0), and the output says whether it did and why not (--json: cudaGraph, cudaGraphStatus).

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var names = (parse.GetValue(_backends) ?? []).ToList();
        // ILGPU's CPU accelerator is a debugging simulator: one 256³ GEMM takes minutes there, so it is timed
        // only when asked for, and on small figures.
        if (names.Count == 0) names = BackendFactory.Probe().Where(d => d.Accepted && d.Backend != "ilgpu-cpu").Select(d => d.Backend).Distinct().ToList();
        var budget = parse.GetValue(_budget) ?? QuickBench.DefaultBudgetSeconds;
        var json = parse.GetValue(_json);
        var figures = new List<BenchFigure>();
        foreach (var name in names)
        {
            using var backend = BackendChoice.Create(name, terminal.Err);
            terminal.Err.WriteLine($"timing {backend} ...");
            terminal.Err.WriteLine($"  training steps as CUDA graphs: {GraphLine(backend.StepGraphs)}");
            void Report(BenchFigure f)
            {
                figures.Add(f);
                if (json) terminal.Out.WriteLine(ToJson(f));
                else terminal.Err.WriteLine($"  {f.Kind,-6} {f.Subject,-16} {Format(f)}{PerStep(f)}");
            }
            if (backend is CpuBackend)
            {
                foreach (var line in CpuMachine.Describe(null)) terminal.Err.WriteLine($"  {line}");
                foreach (var peak in FmaPeak.MeasureAll())
                {
                    Report(new BenchFigure(backend.Name, "peak", peak.Tier.ToString(), 1, peak.OneCore, "GFLOP/s"));
                    Report(new BenchFigure(backend.Name, "peak", peak.Tier.ToString(), peak.Cores, peak.AllCores, "GFLOP/s"));
                }
            }
            var simulator = backend.Name == "ilgpu-cpu";
            if (simulator) terminal.Err.WriteLine("  ilgpu-cpu is a debugging simulator: small figures only (GEMM 32 to 128, the two-layer net).");
            var gpu = backend is IlgpuBackend && !simulator;
            foreach (var n in simulator ? [32, 64, 128] : gpu ? [1024, 2048, 4096] : new[] { 256, 512, 1024 }) Report(QuickBench.Gemm(backend, n, budgetSeconds: budget));
            if (gpu)
            {
                foreach (var shape in QuickBench.NetworkGemms) Report(QuickBench.Gemm(backend, shape, budgetSeconds: budget));
                if (backend.Name == "cuda") TimeCuBlas(budget, Report, names, terminal);
            }
            foreach (var (spec, optimizer) in QuickBench.TrainingCases.Take(simulator ? 1 : int.MaxValue))
            {
                using var o = optimizer();
                Report(QuickBench.TrainStep(backend, spec, o, budgetSeconds: budget));
            }
            var inferred = simulator ? Networks.TwoLayer() : Networks.SimpleConvNet();
            Report(QuickBench.Infer(backend, inferred, batch: simulator ? 100 : 1000, budgetSeconds: budget));
            Report(QuickBench.Latency(backend, inferred, budgetSeconds: budget));
        }
        if (!json) PrintTable(terminal.Out, figures, names);
        return 0;
    }

    /// <summary>cuBLAS's GEMM on the same figures as the own kernels, as backend cuda-cublas; one line where it does not load.</summary>
    private static void TimeCuBlas(double budget, Action<BenchFigure> report, List<string> names, Terminal terminal)
    {
        IlgpuBackend cublas;
        try
        {
            cublas = new IlgpuBackend("cuda", IlgpuGemm.CuBlas);
        }
        catch (DeepGpuException e)
        {
            terminal.Err.WriteLine($"  cuBLAS not timed: {e.Message}");
            return;
        }
        using (cublas)
        {
            const string name = "cuda-cublas";
            if (!names.Contains(name)) names.Add(name);
            foreach (var n in new[] { 1024, 2048, 4096 }) report(QuickBench.Gemm(cublas, n, budgetSeconds: budget) with { Backend = name });
            foreach (var shape in QuickBench.NetworkGemms) report(QuickBench.Gemm(cublas, shape, budgetSeconds: budget) with { Backend = name });
        }
    }

    private static string ToJson(BenchFigure f) => f.Kind switch
    {
        "gemm-shape" => JsonSerializer.Serialize(new { backend = f.Backend, kind = f.Kind, shape = f.Subject, gflops = Significant(f.Value) }),
        "gemm" => JsonSerializer.Serialize(new { backend = f.Backend, kind = f.Kind, n = f.Size, gflops = Significant(f.Value) }),
        "train" => JsonSerializer.Serialize(new
        {
            backend = f.Backend, kind = f.Kind, model = f.Subject, batch = f.Size, msPerStep = Significant(f.Value),
            launchesPerStep = f.PerStep?.Launches, syncsPerStep = f.PerStep?.Synchronizations,
            allocationsPerStep = f.PerStep?.Allocations, cudaGraph = f.PerStep?.CudaGraph, cudaGraphStatus = f.PerStep?.CudaGraphStatus,
        }),
        "latency" => JsonSerializer.Serialize(new { backend = f.Backend, kind = f.Kind, model = f.Subject, batch = f.Size, msPerBatch = Significant(f.Value) }),
        "peak" => JsonSerializer.Serialize(new { backend = f.Backend, kind = f.Kind, tier = f.Subject, cores = f.Size, gflops = Significant(f.Value) }),
        _ => JsonSerializer.Serialize(new { backend = f.Backend, kind = f.Kind, model = f.Subject, batch = f.Size, imagesPerSecond = Significant(f.Value) }),
    };

    /// <summary>Four significant digits: enough for a noisy machine, and small simulator figures stay visible.</summary>
    private static double Significant(double v) => v == 0 ? 0 : Math.Round(v, Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(v)))));

    private static string Cell(BenchFigure f) => Significant(f.Value).ToString(f.Value >= 1000 ? "N0" : "G4");

    private static string Format(BenchFigure f) => $"{Cell(f)} {f.Unit}";

    private static string PerStep(BenchFigure f) => f.PerStep is not { } c ? "" :
        $", {(c.Launches is { } n ? $"{n} launches, " : "")}{c.Synchronizations} syncs, {c.Allocations} allocations per step"
        + (c.Launches is null ? "" : c.CudaGraph ? ", replayed as a CUDA graph" : ", plain launches");

    /// <summary>"yes, ..." or "no, ..." with the reason.</summary>
    internal static string GraphLine(StepGraphSupport s) => $"{(s.Available ? "yes" : "no")}, {s.Reason}";

    /// <summary>The launches-per-step row of a training figure; empty where the backend does not launch kernels.</summary>
    private static string LaunchCell(BenchFigure f) => f.PerStep?.Launches?.ToString() ?? "";

    private static void PrintTable(TextWriter o, List<BenchFigure> figures, List<string> backends)
    {
        var rows = figures.Select(f => (f.Kind, f.Subject, f.Size)).Distinct().ToList();
        o.WriteLine($"| {"figure",-36} | " + string.Join(" | ", backends.Select(b => $"{b,14}")) + " |");
        o.WriteLine("|" + new string('-', 38) + "|" + string.Join("|", backends.Select(_ => new string('-', 16))) + "|");
        foreach (var (kind, subject, size) in rows)
        {
            var label = kind switch
            {
                "gemm" => $"GEMM n={size} (GFLOP/s)",
                "gemm-shape" => $"GEMM {subject} (GFLOP/s)",
                "train" => $"train {subject} b{size} (ms/step)",
                "latency" => $"infer {subject} b{size} latency (ms)",
                "peak" => $"FMA peak {subject}, {size} core{(size == 1 ? "" : "s")} (GFLOP/s)",
                _ => $"infer {subject} b{size} (img/s)",
            };
            var cells = backends.Select(b => figures.FirstOrDefault(f => f.Backend == b && f.Kind == kind && f.Subject == subject && f.Size == size))
                .Select(f => f is null ? "" : Cell(f));
            o.WriteLine($"| {label,-36} | " + string.Join(" | ", cells.Select(c => $"{c,14}")) + " |");
            var launches = backends.Select(b => figures.FirstOrDefault(f => f.Backend == b && f.Kind == kind && f.Subject == subject && f.Size == size))
                .Select(f => f is null ? "" : LaunchCell(f)).ToList();
            // Only backends that launch kernels count them: no row where none of them does.
            if (kind == "train" && launches.Any(c => c.Length > 0))
            {
                o.WriteLine($"| {$"  launches per step",-36} | " + string.Join(" | ", launches.Select(c => $"{c,14}")) + " |");
            }
        }
    }
}
