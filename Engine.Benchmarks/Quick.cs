using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Benchmarks;

/// <summary>
/// A Stopwatch harness for quick numbers without BenchmarkDotNet's minutes of runs:
/// <c>dotnet run -c Release --project Engine.Benchmarks -- quick WHAT</c>, WHAT being machine (caches, blocking and the
/// measured FMA peak per tier), blocking (GEMM blockings side by side), gemm (per tier and transpose case), small (the book's dense GEMMs), conv (each convolution, direct vs
/// im2col, per tier; then pooling), parts (the convolutions' GEMM shapes), kernels (single-core micro-kernels),
/// stepparts (simple-convnet's forward, backward and update apart), step (training steps; DEEPGPU_PROFILE=1
/// adds per-layer times), latency (batch-1 inference, per layer with DEEPGPU_PROFILE=1; DEEPGPU_SPIN=S then runs it S seconds for a
/// profiler), infer (simple-convnet inference at batch 1000, per layer with DEEPGPU_PROFILE=1) or all (machine, gemm,
/// small, conv, step).
/// </summary>
internal static class Quick
{
    public static int Run(string[] args)
    {
        var what = args.Length > 0 ? args[0] : "all";
        Console.WriteLine($"{Environment.ProcessorCount} threads; best tier {CpuTiers.Best}");
        if (what is "machine" or "all") Machine();
        if (what is "blocking") Blocking();
        if (what is "gemm" or "all") Gemm();
        if (what is "small" or "all") Small();
        if (what is "conv" or "all") Conv();
        if (what is "parts") QuickParts.Run();
        if (what is "stepparts") QuickStepParts.Run();
        if (what is "kernels") QuickKernels.Run();
        if (what is "step" or "all") Step();
        if (what is "latency") Latency();
        if (what is "infer") Infer();
        if (what is "skinny") Skinny();
        return 0;
    }

    /// <summary>Training steps through the real plan; DEEPGPU_PROFILE=1 adds where each step's time goes, per layer.</summary>
    private static void Step()
    {
        using var backend = new CpuBackend();
        foreach (var (spec, makeOptimizer) in DeepGpu.Diagnostics.QuickBench.TrainingCases)
        {
            using var optimizer = makeOptimizer();
            var figure = DeepGpu.Diagnostics.QuickBench.TrainStep(backend, spec, optimizer);
            Console.WriteLine($"step {spec.Name,-15} {figure.Value,8:F3} ms ({optimizer})");
            if (Environment.GetEnvironmentVariable("DEEPGPU_PROFILE") != "1") continue;
            foreach (var (layer, f, b) in DeepGpu.Diagnostics.QuickBench.ProfileStep(backend, spec))
            {
                Console.WriteLine($"    {layer,-14} forward {f,7:F3} ms  backward {b,7:F3} ms");
            }
        }
    }

    // Batch-1 inference of each network, then (DEEPGPU_SPIN=seconds) simple-convnet's for that long, for a profiler to sample.
    private static void Latency()
    {
        using var backend = new CpuBackend();
        foreach (var (spec, _) in DeepGpu.Diagnostics.QuickBench.TrainingCases)
        {
            var figure = DeepGpu.Diagnostics.QuickBench.Latency(backend, spec);
            Console.WriteLine($"latency {spec.Name,-15} {figure.Value * 1000,8:F1} µs at batch 1");
            if (Environment.GetEnvironmentVariable("DEEPGPU_PROFILE") != "1") continue;
            foreach (var (layer, f, _) in DeepGpu.Diagnostics.QuickBench.ProfileStep(backend, spec, batch: 1, repeats: 101, training: false))
            {
                Console.WriteLine($"    {layer,-14} forward {f * 1000,7:F1} µs");
            }
        }
        if (!double.TryParse(Environment.GetEnvironmentVariable("DEEPGPU_SPIN"), out var seconds)) return;
        using var model = DeepGpu.Models.Model.Create(DeepGpu.Models.Networks.SimpleConvNet(), backend, 1);
        var plan = model.GetPlan(1, withLabels: false);
        var clock = Stopwatch.StartNew();
        var calls = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            plan.Forward(new DeepGpu.Layers.PassInfo(false, 0, 0));
            calls++;
        }
        Console.WriteLine($"spun {calls} calls, {clock.Elapsed.TotalMilliseconds * 1000 / calls:F1} µs each");
    }

    // What deepgpu bench's inference figure times: simple-convnet at batch 1000, then where that time goes.
    private static void Infer()
    {
        using var backend = new CpuBackend();
        var spec = DeepGpu.Models.Networks.SimpleConvNet();
        var figure = DeepGpu.Diagnostics.QuickBench.Infer(backend, spec);
        Console.WriteLine($"infer {spec.Name,-15} {figure.Value,8:F0} images/s at batch 1000");
        // CPU time (all threads, spinning included) per batch: what a loaded machine changes least.
        using (var model = DeepGpu.Models.Model.Create(spec, backend, 1))
        {
            var plan = model.GetPlan(1000, withLabels: false);
            DeepGpu.Diagnostics.QuickBench.FillRandomBatch(backend, plan, spec.Classes);
            var wall = Time(() => plan.Forward(new DeepGpu.Layers.PassInfo(false, 0, 0)));
            Console.WriteLine($"infer {spec.Name,-15} best {wall,7:F3} ms wall, {LastCpuMs,7:F3} ms CPU per batch of 1000");
        }
        if (Environment.GetEnvironmentVariable("DEEPGPU_PROFILE") != "1") return;
        foreach (var (layer, f, _) in DeepGpu.Diagnostics.QuickBench.ProfileStep(backend, spec, batch: 1000, repeats: 15, training: false))
        {
            Console.WriteLine($"    {layer,-14} forward {f,7:F3} ms");
        }
    }

    // Batch-1 dense layers alone (simple-convnet's fc1, mlp's first layer): µs per product.
    private static void Skinny()
    {
        using var backend = new CpuBackend();
        foreach (var (m, n, k) in new[] { (1, 100, 4320), (1, 100, 784), (2, 100, 4320) })
        {
            var gflops = Gflops(backend, m, n, k, false, false);
            Console.WriteLine($"skinny {m}x{n}x{k}: {2.0 * m * n * k / gflops / 1e3,7:F2} µs");
        }
    }

    private static void Gemm()
    {
        foreach (var tier in Enum.GetValues<CpuTier>().Where(CpuTiers.IsSupported).Reverse())
        {
            using var backend = new CpuBackend(tier);
            foreach (var n in new[] { 256, 512, 1024 })
            {
                foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                {
                    if (tier != CpuTiers.Best && (ta || tb)) continue;
                    var gf = Gflops(backend, n, n, n, ta, tb, out var perCore);
                    Console.WriteLine($"gemm {tier,-9} n={n,4} {(ta ? "T" : "N")}{(tb ? "T" : "N")}: {gf,7:F1} GFLOP/s wall, {perCore,6:F1} per CPU-second");
                }
            }
        }
    }

    // What the GEMM is measured against: the caches it blocks for and the FMA peak per tier, measured.
    private static void Machine()
    {
        Console.WriteLine($"caches: {CpuCaches.Machine}");
        foreach (var tier in Enum.GetValues<CpuTier>().Where(CpuTiers.IsSupported).Reverse())
        {
            Console.WriteLine($"blocking {tier,-9}: {Sgemm.BlockingFor(CpuCaches.Machine, tier)}");
        }
        foreach (var peak in FmaPeak.MeasureAll(0.1)) Console.WriteLine($"fma peak {peak}");
    }

    // Blockings side by side, alternating rounds so drift on a shared machine hits each alike: the derived one, and
    // each of KC, MC and NC halved and doubled.
    private static void Blocking()
    {
        var derived = Sgemm.BlockingFor(CpuCaches.Machine, CpuTiers.Best);
        var variants = new List<GemmBlocking> { derived };
        foreach (var f in new[] { 0.5, 2 })
        {
            variants.Add(derived with { KC = (int)(derived.KC * f) });
            variants.Add(derived with { MC = (int)(derived.MC * f) });
            variants.Add(derived with { NC = (int)(derived.NC * f) });
        }
        var extra = Environment.GetEnvironmentVariable("DEEPGPU_BLOCKING"); // more, as "KC,MC,NC;KC,MC,NC"
        foreach (var v in (extra ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = v.Split(',').Select(int.Parse).ToArray();
            variants.Add(new GemmBlocking(p[0], p[1], p[2]));
        }
        var rates = variants.Distinct().ToDictionary(v => v, _ => new List<double>());
        for (var round = 0; round < 3; round++)
        {
            foreach (var v in rates.Keys) rates[v].Add(GflopsWith(v, 1024));
        }
        foreach (var (v, r) in rates) Console.WriteLine($"blocking {v}{(v == derived ? " (derived)" : "")}: n=1024 {string.Join(" ", r.Select(x => $"{x,6:F1}"))} GFLOP/s");
    }

    // Best of five timed batches of n×n×n GEMMs with a given blocking on the best tier, all workers.
    private static unsafe double GflopsWith(GemmBlocking blocking, int n)
    {
        var a = GC.AllocateUninitializedArray<float>(n * n, pinned: true);
        var c = GC.AllocateUninitializedArray<float>(n * n, pinned: true);
        for (var i = 0; i < a.Length; i++) a[i] = (i % 17) * 0.01f;
        fixed (float* pa = a, pc = c)
        {
            var pa0 = pa;
            var pc0 = pc;
            void Once() => Sgemm.Run(CpuTiers.Best, blocking, false, false, n, n, n, 1f, pa0, n, pa0, n, 0f, pc0, n, parallel: true);
            Once();
            var reps = Math.Max(3, (int)(2e9 / (2.0 * n * n * n)));
            var best = double.MaxValue;
            for (var trial = 0; trial < 5; trial++)
            {
                var sw = Stopwatch.StartNew();
                for (var r = 0; r < reps; r++) Once();
                best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    private static void Small()
    {
        using var backend = new CpuBackend();
        foreach (var (m, n, k) in new[] { (100, 50, 784), (100, 784, 50), (784, 50, 100), (100, 100, 100), (100, 10, 100) })
        {
            Console.WriteLine($"gemm {m}x{n}x{k}: {Gflops(backend, m, n, k, false, false),7:F1} GFLOP/s");
        }
    }

    public static double Gflops(CpuBackend backend, int m, int n, int k, bool ta, bool tb) => Gflops(backend, m, n, k, ta, tb, out _);

    /// <summary>
    /// Best wall-clock GFLOP/s, and GFLOP per second of this process's CPU time (the rate per core actually
    /// given to us: on a shared machine the wall clock also counts time other processes held the cores).
    /// </summary>
    public static double Gflops(CpuBackend backend, int m, int n, int k, bool ta, bool tb, out double perCpuSecond)
    {
        using var a = backend.Allocate<float>(m * k);
        using var b = backend.Allocate<float>(k * n);
        using var c = backend.Allocate<float>(m * n);
        var host = new float[Math.Max(m * k, k * n)];
        var rng = new Random(1);
        for (var i = 0; i < host.Length; i++) host[i] = (float)rng.NextDouble() - 0.5f;
        backend.Upload<float>(host.AsSpan(0, m * k), a);
        backend.Upload<float>(host.AsSpan(0, k * n), b);
        var flops = 2.0 * m * n * k;
        var reps = Math.Max(3, (int)(2e9 / flops));
        backend.Gemm(ta, tb, m, n, k, 1f, a, b, 0f, c);
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        var process = Process.GetCurrentProcess();
        for (var trial = 0; trial < 5; trial++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var r = 0; r < reps; r++) backend.Gemm(ta, tb, m, n, k, 1f, a, b, 0f, c);
            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalSeconds / reps);
        }
        perCpuSecond = flops / bestCpu / 1e9;
        return flops / best / 1e9;
    }

    private static void Conv()
    {
        foreach (var tier in new[] { CpuTier.Vector512, CpuTier.Vector256, CpuTier.Vector128 }.Where(CpuTiers.IsSupported))
        {
            foreach (var direct in new[] { true, false })
            {
                Console.WriteLine($"{tier}: {(direct ? "direct convolutions (stride 1)" : "im2col + GEMM")}");
                Conv(new CpuBackend(tier) { DirectConvolutions = direct });
            }
        }
        Pooling();
    }

    private static void Conv(CpuBackend backend)
    {
        using var _ = backend;
        foreach (var (name, g) in ConvolutionBenchmarks.Layers)
        {
            var (fwd, bwd) = ConvMs(backend, g, withDx: g.Channels > 1);
            var flops = 2.0 * g.OutputLength * g.PatchLength;
            Console.WriteLine($"{name,-13} fwd {fwd,7:F3} ms ({flops / fwd / 1e6,6:F1} GFLOP/s)  bwd {bwd,7:F3} ms");
        }
    }

    private static void Pooling()
    {
        using var backend = new CpuBackend();
        foreach (var (name, g) in new (string, PoolingGeometry)[] { ("simple pool", new(100, 30, 24, 24, 2, 2, 0)), ("deep pool1", new(100, 16, 28, 28, 2, 2, 0)) })
        {
            foreach (var mode in new[] { PoolingMode.Max, PoolingMode.Average })
            {
                using var x = backend.Allocate<float>(g.InputLength);
                using var y = backend.Allocate<float>(g.OutputLength);
                using var am = backend.Allocate<int>(g.OutputLength);
                backend.Fill(x, 0.5f);
                var fwd = Time(() => backend.PoolingForward(mode, g, x, y, am));
                var bwd = Time(() => backend.PoolingBackward(mode, g, y, am, x));
                Console.WriteLine($"{name,-13} {mode,-7} fwd {fwd,7:F3} ms  bwd {bwd,7:F3} ms");
            }
        }
    }

    public static (double Forward, double Backward) ConvMs(CpuBackend backend, ConvolutionGeometry g, bool withDx)
    {
        using var x = backend.Allocate<float>(g.InputLength);
        using var w = backend.Allocate<float>(g.WeightLength);
        using var b = backend.Allocate<float>(g.Filters);
        using var y = backend.Allocate<float>(g.OutputLength);
        using var dx = backend.Allocate<float>(g.InputLength);
        using var dw = backend.Allocate<float>(g.WeightLength);
        using var db = backend.Allocate<float>(g.Filters);
        using var ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(g));
        backend.Fill(x, 0.25f);
        backend.Fill(w, 0.1f);
        var dxView = withDx ? dx.View : dx.Slice(0, 0);
        var fwd = Time(() => backend.ConvolutionForward(g, new ConvolutionForwardBuffers { X = x, W = w, B = b, Y = y, Workspace = ws }));
        var fwdCpu = LastCpuMs;
        var bwd = Time(() => backend.ConvolutionBackward(g, new ConvolutionBackwardBuffers
        {
            X = x, W = w, DY = y, DX = dxView, DW = dw, DB = db, Workspace = ws,
        }));
        var bwdCpu = LastCpuMs;
        var dwOnly = Time(() => backend.ConvolutionBackward(g, new ConvolutionBackwardBuffers
        {
            X = x, W = w, DY = y, DX = dx.Slice(0, 0), DW = dw, DB = db, Workspace = ws,
        }));
        Console.Write($"[cpu ms fwd {fwdCpu:F3} bwd {bwdCpu:F3}; dw alone {dwOnly:F3}] ");
        return (fwd, bwd);
    }

    /// <summary>CPU milliseconds (all threads) per call in the last <see cref="Time"/>: steadier than wall time on a shared machine.</summary>
    public static double LastCpuMs { get; private set; }

    public static double Time(Action action)
    {
        action();
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        var process = Process.GetCurrentProcess();
        for (var trial = 0; trial < 7; trial++)
        {
            var reps = 0;
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            do
            {
                action();
                reps++;
            } while (sw.ElapsedMilliseconds < 100);
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / reps);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalMilliseconds / reps);
        }
        LastCpuMs = bestCpu;
        return best;
    }
}

/// <summary>The GEMM shapes deep-convnet's im2col convolutions run (forward, dw, dcol for conv2, conv4, conv6).</summary>
internal static class QuickParts
{
    public static void Run()
    {
        using var backend = new CpuBackend();
        foreach (var (ta, tb, m, n, k) in new[] { (false, false, 16, 784, 144), (false, true, 16, 144, 784), (true, false, 144, 784, 16), (false, false, 32, 256, 288), (false, true, 32, 288, 256), (true, false, 288, 256, 32), (false, false, 64, 192, 576), (false, true, 64, 576, 192), (true, false, 576, 192, 64), (false, true, 16, 9, 784) })
        {
            Console.WriteLine($"gemm {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {m}x{n}x{k}: {Quick.Gflops(backend, m, n, k, ta, tb),7:F1} GFLOP/s");
        }
    }
}

/// <summary>simple-convnet's step taken apart: forward, forward + backward, the Adam update, all three.</summary>
internal static class QuickStepParts
{
    public static void Run()
    {
        using var backend = new CpuBackend();
        var spec = DeepGpu.Models.Networks.SimpleConvNet();
        using var model = DeepGpu.Models.Model.Create(spec, backend, 1);
        var plan = model.GetPlan(100);
        DeepGpu.Diagnostics.QuickBench.FillRandomBatch(backend, plan, 10);
        using var adam = DeepGpu.Optimizers.Optimizer.Adam();
        adam.Bind(backend, model.Network.ParameterCount);
        ulong s = 0;
        Console.WriteLine($"forward  {Quick.Time(() => plan.Forward(new DeepGpu.Layers.PassInfo(true, 1, s++))):F3} ms");
        Console.WriteLine($"fwd+bwd  {Quick.Time(() => { plan.Forward(new DeepGpu.Layers.PassInfo(true, 1, s++)); plan.Backward(); }):F3} ms");
        Console.WriteLine($"adam     {Quick.Time(() => adam.Step(model.Parameters, model.Gradients)):F3} ms");
        Console.WriteLine($"step     {Quick.Time(() => { plan.Forward(new DeepGpu.Layers.PassInfo(true, 1, s++)); plan.Backward(); adam.Step(model.Parameters, model.Gradients); }):F3} ms");
    }
}

/// <summary>Single-core rates of the dw dot kernel and of the 8×32 tile reading offset rows, on data in L1.</summary>
internal static unsafe class QuickKernels
{
    public static void Run()
    {
        var buf = GC.AllocateArray<float>(1 << 20, pinned: true);
        for (var i = 0; i < buf.Length; i++) buf[i] = (i % 7) * 0.1f;
        {
            var p = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buf[0]);
            var sums = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(24 * 4, 64);
            var a = p + 16 * ((64 - ((nint)p & 63) / 4) % 16) / 16; // aligned-ish
            foreach (var n in new[] { 256, 960, 4096 })
            {
                var calls = 200_000_000 / (n * 48);
                var t = Quick.Time(() =>
                {
                    for (var c = 0; c < calls; c++) DirectConvolutionDotKernels.Dot(n, a, 1024, a + 100000, a + 100001, a + 100002, sums);
                });
                Console.WriteLine($"dot n={n}: {2.0 * 24 * n * calls / t / 1e6:F1} GFLOP/s one core");
            }
            var off = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(576 * 4, 64);
            for (var i = 0; i < 576; i++) off[i] = i / 9 * 1184 + i % 9 / 3 * 36 + i % 3;
            foreach (var k in new[] { 144, 256 })
            {
                var calls = 200_000_000 / (k * 512);
                var c0 = p + 500000;
                var t = Quick.Time(() =>
                {
                    for (var c = 0; c < calls; c++) Sgemm.Kernel512(k, p, new OffsetRows(p + 200000 + (c & 7) * 32, off), c0, 1024, 1f, 0f);
                });
                Console.WriteLine($"offset-rows tile k={k}: {2.0 * 256 * k * calls / t / 1e6:F1} GFLOP/s one core");
            }
        }
    }
}
