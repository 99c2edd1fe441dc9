using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Data;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models;
using DeepGpu.Optimizers;

namespace DeepGpu.Diagnostics;

/// <summary>
/// <c>deepgpu check --real-sizes</c>: a backend against the managed <c>cpu</c> backend at the sizes the four presets
/// train at: every op each preset runs (read off its layers at the given batch: GEMMs with K up to 78,400,
/// reductions over 100k+ elements, deep-convnet's convolutions and poolings), one full training step of each
/// preset from the same parameters and batch, and simple-convnet's loss over consecutive steps.
/// </summary>
/// <remarks>
/// Tolerances follow from float32 rounding (u = 2^-24), not from what a run happened to give:
/// <list type="bullet">
/// <item>A sum of n products, in any order, is within n·u·Σ|terms| of the exact value (the standard bound), so two
/// backends summing in different orders differ by at most 2·n·u·Σ|terms|. Σ|terms| is computed per element by
/// running the same op on |inputs| on the reference; n is the op's summation length (K of a GEMM, the rows of a
/// bias gradient, C·k·k+1 for a convolution's output, the batch·pixels for its weight gradient).</item>
/// <item>Transcendentals: CUDA compiles exp and log to ex2.approx and lg2.approx (a few ulp), so softmax, sigmoid and
/// the loss get 1e-5 relative (≈170 ulp, covering exp's error scaled by its argument); tanh is computed through
/// exp (see TanhFunctor), 3e-5 relative. Max, ReLU, dropout masks and copies are exact.</item>
/// <item>A whole training step compounds these through up to 20 layers: loss within 1e-4 relative, each gradient
/// tensor within 1e-3 of its largest entry, and parameters after the update within what that gradient error
/// moves them (SGD: lr·that; Adam's first step g/(|g|+ε): lr·min(2, 2τ/(|g|+ε))).</item>
/// <item>Over many steps the two trajectories drift apart slowly (each step's difference feeds the next); the loss
/// curve may differ by 1% of the loss per step, well below what a wrong gradient does (losses that fail to fall or
/// differ by tens of percent).</item>
/// </list>
/// </remarks>
public static class RealSizeCheck
{
    private const double U = 1.0 / (1 << 24);

    /// <summary>The presets checked and their book optimizers.</summary>
    public static IReadOnlyList<(string Name, NetworkSpec Spec)> Presets { get; } =
    [
        ("two-layer", Networks.TwoLayer()),
        ("mlp", Networks.Mlp([100, 100, 100, 100, 100])),
        ("simple-convnet", Networks.SimpleConvNet()),
        ("deep-convnet", Networks.DeepConvNet()),
    ];

    /// <summary>Every check; <paramref name="reference"/> is a <c>cpu</c> backend (any backend works: cpu against cpu must agree exactly).</summary>
    /// <param name="presets">The networks whose sizes are checked (default <see cref="Presets"/>; fewer for slow backends).</param>
    /// <param name="curveSteps">Steps of the simple-convnet loss curve; 0 leaves it out.</param>
    public static IEnumerable<CheckResult> Run(Backend backend, Backend reference, int batch = 100, int curveSteps = 50,
        IReadOnlyList<(string Name, NetworkSpec Spec)>? presets = null)
    {
        var pair = new Pair(backend, reference);
        presets ??= Presets;
        foreach (var r in OpChecks(pair, batch, presets)) yield return r;
        foreach (var (name, spec) in presets) yield return TrainingStep(pair, name, spec, batch);
        if (curveSteps > 0) yield return LossCurve(pair, batch, curveSteps);
    }

    // ---- ops ----------------------------------------------------------------------------------------

    /// <summary>The distinct op shapes a preset's layers run at one batch size.</summary>
    public static IEnumerable<(string Op, string Case, Func<Pair, Outcome> Run)> OpCases(NetworkSpec spec, int batch)
    {
        var network = Network.Build(spec);
        var classes = network.Classes;
        foreach (var layer in network.Layers)
        {
            var n = batch * layer.OutputShape.Size;
            switch (layer)
            {
                case AffineLayer:
                    var (i, o) = (layer.InputShape.Size, layer.OutputShape.Size);
                    yield return ("gemm", Gemm(false, false, batch, o, i), p => p.Gemm(false, false, batch, o, i));
                    yield return ("gemm", Gemm(true, false, i, o, batch), p => p.Gemm(true, false, i, o, batch));
                    yield return ("gemm", Gemm(false, true, batch, i, o), p => p.Gemm(false, true, batch, i, o));
                    yield return ("add-bias + bias-gradient", $"{batch}x{o}", p => p.Bias(batch, o));
                    break;
                case ConvolutionLayer conv:
                    var g = conv.Geometry with { Batch = batch };
                    var (columns, patch) = (batch * g.OutH * g.OutW, g.PatchLength);
                    // The im2col GEMMs of a convolution: outputs, weight gradient (K = batch·pixels) and column gradient.
                    yield return ("gemm", Gemm(false, false, g.Filters, columns, patch), p => p.Gemm(false, false, g.Filters, columns, patch));
                    yield return ("gemm", Gemm(false, true, g.Filters, patch, columns), p => p.Gemm(false, true, g.Filters, patch, columns));
                    yield return ("gemm", Gemm(true, false, patch, columns, g.Filters), p => p.Gemm(true, false, patch, columns, g.Filters));
                    yield return ("convolution forward+backward", Describe(g), p => p.Convolution(g));
                    break;
                case PoolingLayer pool:
                    var pg = pool.Geometry with { Batch = batch };
                    yield return ($"{pool.Mode.ToString().ToLowerInvariant()}-pooling forward+backward", Describe(pg), p => p.Pooling(pool.Mode, pg));
                    break;
                case ActivationLayer act:
                    yield return ($"{act.Kind.ToString().ToLowerInvariant()} forward+backward", $"{n}", p => p.Activation(act.Kind, n));
                    break;
                case DropoutLayer drop:
                    yield return ("dropout", $"{n} ratio {drop.Ratio}", p => p.Dropout(n, drop.Ratio));
                    break;
                case LossLayer:
                    yield return ("softmax-cross-entropy", $"{batch}x{classes}", p => p.SoftmaxCrossEntropy(batch, classes));
                    break;
            }
        }
        var (weights, parameters) = (network.WeightCount, network.ParameterCount);
        var (optimizer, lr) = Networks.DefaultOptimizer(spec.Name ?? "");
        yield return ("add-scaled + sum-of-squares", $"{weights}", p => p.WeightDecay(weights));
        yield return ($"{optimizer} update", $"{parameters}", p => p.Update(optimizer == "adam" ? UpdateRule.Adam : UpdateRule.Sgd, lr, parameters));
        yield return ("gather-batch", $"{batch} of 1000 x {network.InputShape.Size}", p => p.Gather(batch, network.InputShape.Size));
    }

    private static IEnumerable<CheckResult> OpChecks(Pair pair, int batch, IReadOnlyList<(string Name, NetworkSpec Spec)> presets)
    {
        var seen = new HashSet<string>();
        foreach (var (name, spec) in presets)
        {
            foreach (var (op, shape, run) in OpCases(spec, batch))
            {
                if (!seen.Add(op + " " + shape)) continue;
                yield return Measure("real-size op", op, shape, () => run(pair));
            }
        }
        // The mlp preset's other activations, at its largest activation size.
        foreach (var kind in new[] { Backends.Activation.Sigmoid, Backends.Activation.Tanh })
        {
            yield return Measure("real-size op", $"{kind.ToString().ToLowerInvariant()} forward+backward", $"{batch * 100}", () => pair.Activation(kind, batch * 100));
        }
    }

    private static string Gemm(bool ta, bool tb, int m, int n, int k) => $"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k}";

    private static string Describe(ConvolutionGeometry g) => $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} f{g.Filters} k{g.KernelH} s{g.Stride} p{g.Pad}";

    private static string Describe(PoolingGeometry g) => $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} k{g.Size} s{g.Stride} p{g.Pad}";

    /// <summary>How an op's outputs compared: the worst |difference| and the tolerance at that element.</summary>
    public readonly record struct Outcome(double Error, double Tolerance, bool Passed, string? Message = null);

    private static CheckResult Measure(string group, string op, string shape, Func<Outcome> run)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var o = run();
            return new CheckResult(group, op, shape, o.Error, o.Tolerance, o.Passed, clock.Elapsed.TotalMilliseconds, o.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new CheckResult(group, op, shape, double.NaN, 0, false, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>
    /// Compares outputs element by element: |actual − expected| ≤ tolerance(i). Reports the element that used the
    /// largest share of its tolerance; NaN anywhere fails.
    /// </summary>
    public static Outcome Compare(IEnumerable<(string Name, float[] Actual, float[] Expected, Func<int, double> Tolerance)> outputs)
    {
        double worstShare = 0, error = 0, tolerance = 0;
        string? where = null;
        foreach (var (name, actual, expected, tol) in outputs)
        {
            if (actual.Length != expected.Length) return new(double.NaN, 0, false, $"{name}: {actual.Length} values, expected {expected.Length}");
            for (var i = 0; i < actual.Length; i++)
            {
                var d = actual[i] == expected[i] ? 0 : Math.Abs((double)actual[i] - expected[i]);
                var t = tol(i);
                var share = double.IsNaN(d) ? double.PositiveInfinity : d == 0 ? 0 : t == 0 ? double.PositiveInfinity : d / t;
                if (share > worstShare || (double.IsNaN(d) && where is null))
                {
                    (worstShare, error, tolerance) = (share, d, t);
                    where = $"{name}[{i}]: {actual[i]:R} vs {expected[i]:R}";
                }
            }
        }
        var passed = worstShare <= 1;
        return new(error, tolerance, passed, passed ? null : where);
    }

    /// <summary>|a − r| ≤ atol + rtol·|r|.</summary>
    private static Func<int, double> Relative(float[] reference, double rtol, double atol = 0) => i => atol + rtol * Math.Abs(reference[i]);

    /// <summary>Two orders of an n-term sum differ by at most 2·n·u·Σ|terms| (<paramref name="absSum"/>), plus the final rounding.</summary>
    private static Func<int, double> Summation(float[] absSum, float[] reference, long n) => i => 2 * n * U * absSum[i] + 2 * U * Math.Abs(reference[i]) + 1e-30;

    /// <summary>The backend under test and the reference, with the same inputs uploaded to both.</summary>
    public sealed class Pair(Backend backend, Backend reference)
    {
        private readonly Random _rng = new(2024);

        public Backend Backend { get; } = backend;
        public Backend Reference { get; } = reference;

        private float[] Rand(long n, float lo = -1f, float hi = 1f)
        {
            var v = new float[n];
            for (var i = 0; i < v.Length; i++) v[i] = lo + (float)_rng.NextDouble() * (hi - lo);
            return v;
        }

        private static float[] Abs(float[] x) => Array.ConvertAll(x, MathF.Abs);

        /// <summary>Runs <paramref name="op"/> on one backend with the given inputs, returning the named outputs.</summary>
        private static float[][] On(Backend be, float[][] inputs, int[] outputLengths, Action<Backend, DeviceBuffer<float>[], DeviceBuffer<float>[]> op)
        {
            var ins = new List<DeviceBuffer<float>>();
            var outs = new List<DeviceBuffer<float>>();
            try
            {
                foreach (var x in inputs)
                {
                    var b = be.Allocate<float>(x.Length);
                    ins.Add(b);
                    be.Upload<float>(x, b);
                }
                foreach (var n in outputLengths) outs.Add(be.Allocate<float>(n));
                op(be, [.. ins], [.. outs]);
                return outs.Select(o =>
                {
                    var v = new float[o.Length];
                    be.Download<float>(o, v);
                    return v;
                }).ToArray();
            }
            finally
            {
                foreach (var b in ins.Concat(outs)) b.Dispose();
            }
        }

        private (float[][] Actual, float[][] Expected) Both(float[][] inputs, int[] outputLengths, Action<Backend, DeviceBuffer<float>[], DeviceBuffer<float>[]> op) =>
            (On(Backend, inputs, outputLengths, op), On(Reference, inputs, outputLengths, op));

        public Outcome Gemm(bool ta, bool tb, int m, int n, int k)
        {
            var a = Rand((long)m * k);
            var b = Rand((long)k * n);
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o) => be.Gemm(ta, tb, m, n, k, 1f, i[0], i[1], 0f, o[0]);
            var (actual, expected) = Both([a, b], [m * n], Op);
            var bound = On(Reference, [Abs(a), Abs(b)], [m * n], Op)[0];
            return Compare([("C", actual[0], expected[0], Summation(bound, expected[0], k))]);
        }

        public Outcome Bias(int rows, int cols)
        {
            var x = Rand((long)rows * cols);
            var bias = Rand(cols);
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                be.Copy(i[0], o[0]);
                be.AddBias(o[0], i[1], rows, cols);
                be.BiasGradient(i[0], o[1], rows, cols);
            }
            var (actual, expected) = Both([x, bias], [rows * cols, cols], Op);
            var bound = On(Reference, [Abs(x), Abs(bias)], [rows * cols, cols], Op)[1];
            return Compare([
                ("x + bias", actual[0], expected[0], Relative(expected[0], 2 * U)),
                ("bias gradient", actual[1], expected[1], Summation(bound, expected[1], rows)),
            ]);
        }

        public Outcome Convolution(ConvolutionGeometry g)
        {
            var x = Rand(g.InputLength);
            var w = Rand(g.WeightLength);
            var b = Rand(g.Filters);
            var dy = Rand(g.OutputLength);
            int[] lengths = [g.OutputLength, g.InputLength, g.WeightLength, g.Filters];
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                using var ws = be.Allocate<float>(checked((int)be.ConvolutionWorkspaceLength(g)));
                be.ConvolutionForward(g, new ConvolutionForwardBuffers { X = i[0], W = i[1], B = i[2], Y = o[0], Workspace = ws });
                be.ConvolutionBackward(g, new ConvolutionBackwardBuffers { X = i[0], W = i[1], DY = i[3], DX = o[1], DW = o[2], DB = o[3], Workspace = ws });
            }
            var (actual, expected) = Both([x, w, b, dy], lengths, Op);
            var bound = On(Reference, [Abs(x), Abs(w), Abs(b), Abs(dy)], lengths, Op);
            var pixels = (long)g.Batch * g.OutH * g.OutW;
            return Compare([
                ("y", actual[0], expected[0], Summation(bound[0], expected[0], g.PatchLength + 1)),
                ("dx", actual[1], expected[1], Summation(bound[1], expected[1], (long)g.Filters * g.KernelH * g.KernelW)),
                ("dw", actual[2], expected[2], Summation(bound[2], expected[2], pixels)),
                ("db", actual[3], expected[3], Summation(bound[3], expected[3], pixels)),
            ]);
        }

        public Outcome Pooling(PoolingMode mode, PoolingGeometry g)
        {
            var x = Rand(g.InputLength);
            var dy = Rand(g.OutputLength);
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                using var argmax = be.Allocate<int>(g.OutputLength);
                be.PoolingForward(mode, g, i[0], o[0], argmax);
                be.PoolingBackward(mode, g, i[1], argmax, o[1]);
            }
            var (actual, expected) = Both([x, dy], [g.OutputLength, g.InputLength], Op);
            var bound = On(Reference, [Abs(x), Abs(dy)], [g.OutputLength, g.InputLength], Op);
            // Max picks one input (exact); overlapping windows add up to ceil(size/stride)² gradients per input.
            var overlap = (long)Math.Pow((g.Size + g.Stride - 1) / g.Stride, 2);
            return Compare([
                ("y", actual[0], expected[0], mode == PoolingMode.Max ? _ => 0 : Summation(bound[0], expected[0], (long)g.Size * g.Size)),
                ("dx", actual[1], expected[1], Summation(bound[1], expected[1], overlap)),
            ]);
        }

        public Outcome Activation(Activation kind, int n)
        {
            var x = Rand(n, -4f, 4f);
            var dy = Rand(n);
            var (actualY, expectedY) = Both([x], [n], (be, i, o) => be.ActivationForward(kind, i[0], o[0]));
            // The backward pass gets the reference's y on both backends, so it is checked on its own.
            var (actualDx, expectedDx) = Both([expectedY[0], dy], [n], (be, i, o) => be.ActivationBackward(kind, i[0], i[1], o[0]));
            var rtol = kind switch { Backends.Activation.Relu => 0, Backends.Activation.Tanh => 3e-5, _ => 1e-5 };
            return Compare([
                ("y", actualY[0], expectedY[0], Relative(expectedY[0], rtol, rtol * 1e-2)),
                ("dx", actualDx[0], expectedDx[0], Relative(expectedDx[0], 4 * U, 1e-30)),
            ]);
        }

        public Outcome Dropout(int n, float ratio)
        {
            var x = Rand(n);
            var (actual, expected) = Both([x], [n, n], (be, i, o) => be.DropoutForward(i[0], o[0], o[1], ratio, 17, 4000));
            return Compare([("y", actual[0], expected[0], _ => 0), ("mask", actual[1], expected[1], _ => 0)]);
        }

        public Outcome SoftmaxCrossEntropy(int rows, int cols)
        {
            var x = Rand((long)rows * cols, -8f, 8f);
            var labels = Enumerable.Range(0, rows).Select(_ => _rng.Next(cols)).ToArray();
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                using var l = be.Allocate<int>(rows);
                be.Upload<int>(labels, l);
                be.SoftmaxCrossEntropy(i[0], l, o[0], o[1], rows, cols);
                be.SoftmaxCrossEntropyBackward(o[0], l, o[2], rows, cols);
            }
            var (actual, expected) = Both([x], [rows * cols, 1, rows * cols], Op);
            return Compare([
                ("probabilities", actual[0], expected[0], Relative(expected[0], 1e-5, 1e-12)),
                ("loss", actual[1], expected[1], Relative(expected[1], 1e-5)),
                ("dlogits", actual[2], expected[2], Relative(expected[2], 1e-5, 1e-5 / rows * 1e-3)),
            ]);
        }

        public Outcome WeightDecay(int n)
        {
            var w = Rand(n);
            var g = Rand(n);
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                be.Copy(i[1], o[0]);
                be.AddScaled(i[0], 0.01f, o[0]);
                be.SumOfSquares(i[0], 0.5f, o[1]);
            }
            var (actual, expected) = Both([w, g], [n, 1], Op);
            var squares = w.Sum(v => 0.5 * (double)v * v);
            return Compare([
                ("g + 0.01·w", actual[0], expected[0], i => 2 * U * (Math.Abs(g[i]) + Math.Abs(0.01 * w[i]))),
                ("0.5·Σw²", actual[1], expected[1], _ => 2 * n * U * squares),
            ]);
        }

        public Outcome Update(UpdateRule rule, float lr, int n)
        {
            var p = Rand(n);
            var g = Rand(n, -1e-2f, 1e-2f);
            var hyper = new UpdateHyper(lr, 0.9f, 0.999f, 1e-7f);
            void Op(Backend be, DeviceBuffer<float>[] i, DeviceBuffer<float>[] o)
            {
                be.Copy(i[0], o[0]);
                for (var step = 0; step < 3; step++) be.ApplyUpdate(rule, hyper, new UpdateBuffers { Parameters = o[0], Gradients = i[1], FirstState = o[1], SecondState = o[2] });
            }
            var (actual, expected) = Both([p, g], [n, n, n], Op);
            // A few roundings per step on values of size |p| and on steps of size lr.
            return Compare([("parameters", actual[0], expected[0], Relative(expected[0], 8 * U, 3 * 8 * U * lr))]);
        }

        public Outcome Gather(int batch, int sampleLength)
        {
            const int count = 1000;
            var images = Enumerable.Range(0, count * sampleLength).Select(i => (byte)(i * 7919 % 256)).ToArray();
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var order = Enumerable.Range(0, count).OrderBy(_ => _rng.Next()).ToArray();
            float[][] Run(Backend be)
            {
                using var di = be.Allocate<byte>(images.Length);
                using var dl = be.Allocate<byte>(labels.Length);
                using var dor = be.Allocate<int>(count);
                using var x = be.Allocate<float>(batch * sampleLength);
                using var y = be.Allocate<int>(batch);
                be.Upload<byte>(images, di);
                be.Upload<byte>(labels, dl);
                be.Upload<int>(order, dor);
                be.GatherBatch(new GatherBatchArgs { Images = di, Labels = dl, Order = dor, Start = 17, Count = batch, SampleLength = sampleLength, Scale = 1f / 255f, X = x, Y = y });
                var xv = new float[x.Length];
                var yv = new int[y.Length];
                be.Download<float>(x, xv);
                be.Download<int>(y, yv);
                return [xv, Array.ConvertAll(yv, v => (float)v)];
            }
            var (actual, expected) = (Run(Backend), Run(Reference));
            return Compare([("x", actual[0], expected[0], _ => 0), ("labels", actual[1], expected[1], _ => 0)]);
        }
    }

    // ---- training ---------------------------------------------------------------------------------------

    /// <summary>
    /// A random image batch in [0, 1] with labels, the same for both backends (a fixed seed per preset).
    /// </summary>
    private static (float[] X, int[] Labels) Batch(NetworkSpec spec, int batch, int seed)
    {
        var rng = new Random(seed);
        var size = new Tensors.Shape(spec.Input).Size;
        return (Enumerable.Range(0, batch * size).Select(_ => (float)rng.NextDouble()).ToArray(),
            Enumerable.Range(0, batch).Select(_ => rng.Next(spec.Classes)).ToArray());
    }

    /// <summary>One training step; returns the loss, the gradients and the parameters after the update.</summary>
    private static (float Loss, float[] Gradients, float[] Parameters) Step(Backend be, NetworkSpec spec, float[] parameters, float[] state, float[] x, int[] labels)
    {
        using var model = Model.FromValues(spec, be, parameters, state);
        var (name, lr) = Networks.DefaultOptimizer(spec.Name ?? "");
        using var optimizer = Optimizer.Create(name, lr);
        optimizer.Bind(be, model.Network.ParameterCount);
        var plan = model.GetPlan(labels.Length);
        be.Upload<float>(x, plan.Input);
        be.Upload<int>(labels, plan.Labels);
        plan.ResetMetrics();
        plan.Forward(new PassInfo(true, 5, 0));
        plan.Backward();
        var gradients = model.GetGradients();
        optimizer.Step(model.Parameters, model.Gradients);
        return (plan.ReadMetrics().LossSum, gradients, model.GetParameters());
    }

    private static CheckResult TrainingStep(Pair pair, string name, NetworkSpec spec, int batch) =>
        Measure("real-size step", name, $"batch {batch}", () =>
        {
            var network = Network.Build(spec);
            var parameters = network.InitialParameters(11);
            var state = network.InitialState();
            var (x, labels) = Batch(spec, batch, name.Length);
            var (loss, grads, after) = Step(pair.Backend, spec, parameters, state, x, labels);
            var (refLoss, refGrads, refAfter) = Step(pair.Reference, spec, parameters, state, x, labels);
            var (optimizer, lr) = Networks.DefaultOptimizer(spec.Name ?? "");
            var gradientTolerance = new double[grads.Length];
            var parameterTolerance = new double[grads.Length];
            foreach (var slot in network.Parameters)
            {
                var largest = 0.0;
                for (var i = slot.Offset; i < slot.Offset + slot.Length; i++) largest = Math.Max(largest, Math.Abs(refGrads[i]));
                var tau = 1e-3 * largest + 1e-12;
                for (var i = slot.Offset; i < slot.Offset + slot.Length; i++)
                {
                    gradientTolerance[i] = tau;
                    var moved = optimizer == "adam" ? lr * Math.Min(2, 2 * tau / (Math.Abs(refGrads[i]) + 1e-7)) : lr * tau;
                    parameterTolerance[i] = moved + 4 * U * Math.Abs(refAfter[i]);
                }
            }
            return Compare([
                ("loss", [loss], [refLoss], _ => 1e-4 * Math.Abs(refLoss)),
                ("gradient", grads, refGrads, i => gradientTolerance[i]),
                ("parameter after update", after, refAfter, i => parameterTolerance[i]),
            ]);
        });

    /// <summary>The per-step training losses of simple-convnet (Adam) over consecutive batches of the embedded MNIST sample.</summary>
    public static float[] LossCurve(Backend be, int batch, int steps)
    {
        var data = Mnist.LoadEmbeddedSample().Train;
        var spec = Networks.SimpleConvNet();
        using var model = Model.Create(spec, be, seed: 1);
        using var optimizer = Optimizer.Adam(0.001f);
        optimizer.Bind(be, model.Network.ParameterCount);
        var plan = model.GetPlan(batch);
        var size = data.SampleShape.Size;
        var losses = new float[steps];
        for (var step = 0; step < steps; step++)
        {
            var start = step * batch % (data.Count - batch + 1);
            var images = data.Images.AsSpan(start * size, batch * size);
            var x = new float[images.Length];
            for (var i = 0; i < x.Length; i++) x[i] = images[i] / 255f;
            be.Upload<float>(x, plan.Input);
            be.Upload<int>(Array.ConvertAll(data.Labels[start..(start + batch)], v => (int)v), plan.Labels);
            plan.ResetMetrics();
            plan.Forward(new PassInfo(true, 1, (ulong)step));
            plan.Backward();
            optimizer.Step(model.Parameters, model.Gradients);
            losses[step] = plan.ReadMetrics().LossSum;
        }
        return losses;
    }

    private static CheckResult LossCurve(Pair pair, int batch, int steps) =>
        Measure("real-size curve", "simple-convnet loss curve", $"{steps} steps, batch {batch}", () =>
        {
            var actual = LossCurve(pair.Backend, batch, steps);
            var expected = LossCurve(pair.Reference, batch, steps);
            return Compare([("loss at step", actual, expected, i => 1e-2 * Math.Abs(expected[i]))]);
        });
}
