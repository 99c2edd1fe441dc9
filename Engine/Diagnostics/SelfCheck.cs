using System.Diagnostics;
using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Initializers;
using DeepGpu.Layers;
using DeepGpu.Models;

namespace DeepGpu.Diagnostics;

/// <summary>One line of <see cref="SelfCheck"/>: an op on one shape, or a layer's gradient check.</summary>
/// <param name="Error">Largest |actual − expected| (or the exception's message when it threw).</param>
public sealed record CheckResult(string Group, string Op, string Case, double Error, double Tolerance, bool Passed, double Milliseconds, string? Message = null);

/// <summary>
/// What <c>deepgpu check</c> runs on a backend: every op against <see cref="ScalarReference"/> on shapes that
/// are not tile multiples (and size 1), then the book's numerical gradient check of every layer type and of
/// small networks. The same references back the unit tests; this is the form that runs on a GPU machine.
/// </summary>
public static class SelfCheck
{
    public static IEnumerable<CheckResult> Run(Backend backend)
    {
        var c = new Checker(backend);
        foreach (var r in OpChecks(c)) yield return r;
        foreach (var r in GradientChecks(backend)) yield return r;
    }

    private sealed class Checker(Backend backend)
    {
        public Backend Backend { get; } = backend;
        private readonly Random _rng = new(12345);

        public float[] Rand(int n, float lo = -1f, float hi = 1f) => TestArrays.Uniform(_rng, n, lo, hi);

        public int[] Labels(int n, int classes) => Enumerable.Range(0, n).Select(_ => _rng.Next(classes)).ToArray();

        public DeviceBuffer<T> Up<T>(T[] data) where T : unmanaged
        {
            var b = Backend.Allocate<T>(data.Length);
            Backend.Upload<T>(data, b);
            return b;
        }

        public T[] Down<T>(DeviceBuffer<T> b) where T : unmanaged
        {
            var v = new T[b.Length];
            Backend.Download<T>(b, v);
            return v;
        }

        /// <summary>Runs an op and compares each output with its reference (|a − r| ≤ atol + rtol·|r|).</summary>
        public CheckResult Compare(string group, string op, string shape, Func<(float[] Actual, float[] Expected)[]> run, double atol = 1e-5, double rtol = 1e-4)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var pairs = run();
                var worst = new Discrepancy(-1, 0, 0, 0, 0);
                foreach (var (actual, expected) in pairs)
                {
                    if (actual.Length != expected.Length) return new(group, op, shape, double.NaN, atol, false, clock.Elapsed.TotalMilliseconds, "length differs");
                    var d = TestArrays.Worst(expected, actual, rtol, atol);
                    if (d.Ratio > worst.Ratio) worst = d;
                }
                return new(group, op, shape, worst.Error, atol, worst.Within, clock.Elapsed.TotalMilliseconds);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new(group, op, shape, double.NaN, atol, false, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
            }
        }
    }

    private static IEnumerable<CheckResult> OpChecks(Checker c)
    {
        var be = c.Backend;
        // GEMM: every transpose case, odd shapes, alpha/beta, NaN in C ignored when beta = 0.
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 5, 3), (33, 17, 65), (70, 66, 129) })
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 2f) })
                {
                    yield return c.Compare("dense", "gemm", $"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k} a{alpha} b{beta}", () =>
                    {
                        var a = c.Rand(m * k); var b = c.Rand(k * n);
                        var c0 = beta == 0 ? Enumerable.Repeat(float.NaN, m * n).ToArray() : c.Rand(m * n);
                        using var da = c.Up(a); using var db = c.Up(b); using var dc = c.Up(c0);
                        be.Gemm(ta, tb, m, n, k, alpha, da, db, beta, dc);
                        return [(c.Down(dc), ScalarReference.Gemm(ta, tb, m, n, k, alpha, a, b, beta, beta == 0 ? new float[m * n] : c0))];
                    }, 1e-4, 1e-4);
                }
            }
        }
        foreach (var (rows, cols) in new[] { (1, 1), (37, 13) })
        {
            yield return c.Compare("dense", "add-bias", $"{rows}x{cols}", () =>
            {
                var x = c.Rand(rows * cols); var b = c.Rand(cols);
                using var dx = c.Up(x); using var dbias = c.Up(b);
                be.AddBias(dx, dbias, rows, cols);
                return [(c.Down(dx), ScalarReference.AddBias(x, b, rows, cols))];
            });
            yield return c.Compare("dense", "bias-gradient", $"{rows}x{cols}", () =>
            {
                var dy = c.Rand(rows * cols);
                using var ddy = c.Up(dy); using var db = be.Allocate<float>(cols);
                be.BiasGradient(ddy, db, rows, cols);
                return [(c.Down(db), ScalarReference.BiasGradient(dy, rows, cols))];
            });
        }
        foreach (var kind in Enum.GetValues<Activation>())
        {
            yield return c.Compare("dense", $"{kind.ToString().ToLowerInvariant()} forward+backward", "1001", () =>
            {
                var x = c.Rand(1001, -4f, 4f); var dy = c.Rand(1001);
                using var dx = c.Up(x); using var y = be.Allocate<float>(1001); using var ddy = c.Up(dy); using var dxo = be.Allocate<float>(1001);
                be.ActivationForward(kind, dx, y);
                var yv = c.Down(y);
                be.ActivationBackward(kind, y, ddy, dxo);
                return [(yv, ScalarReference.ActivationForward(kind, x)), (c.Down(dxo), ScalarReference.ActivationBackward(kind, yv, dy))];
            }, 1e-5, 1e-3);
        }
        foreach (var (rows, cols) in new[] { (1, 10), (37, 10), (5, 1) })
        {
            yield return c.Compare("loss", "softmax-cross-entropy", $"{rows}x{cols}", () =>
            {
                var x = c.Rand(rows * cols, -5f, 5f); var labels = c.Labels(rows, cols);
                using var dx = c.Up(x); using var dl = c.Up(labels); using var p = be.Allocate<float>(rows * cols);
                using var loss = be.Allocate<float>(1); using var grad = be.Allocate<float>(rows * cols); using var soft = be.Allocate<float>(rows * cols);
                using var correct = be.Allocate<float>(1);
                be.SoftmaxCrossEntropy(dx, dl, p, loss, rows, cols);
                be.SoftmaxCrossEntropyBackward(p, dl, grad, rows, cols);
                be.Softmax(dx, soft, rows, cols);
                be.CountCorrect(dx, dl, correct, rows, cols);
                var (probs, l) = ScalarReference.SoftmaxCrossEntropy(x, labels, rows, cols);
                return [(c.Down(p), probs), (c.Down(loss), [(float)l]), (c.Down(grad), ScalarReference.SoftmaxCrossEntropyBackward(probs, labels, rows, cols)),
                    (c.Down(soft), ScalarReference.Softmax(x, rows, cols)), (c.Down(correct), [ScalarReference.CountCorrect(x, labels, rows, cols)])];
            }, 1e-5, 1e-3);
            yield return c.Compare("loss", "sum-squared-error", $"{rows}x{cols}", () =>
            {
                var y = c.Rand(rows * cols); var labels = c.Labels(rows, cols);
                using var dy = c.Up(y); using var dl = c.Up(labels); using var t = be.Allocate<float>(rows * cols);
                using var loss = be.Allocate<float>(1); using var grad = be.Allocate<float>(rows * cols);
                be.OneHot(dl, t, rows, cols);
                be.SumSquaredError(dy, t, loss, rows, cols);
                be.SumSquaredErrorBackward(dy, t, grad, rows, cols);
                var tv = ScalarReference.OneHot(labels, rows, cols);
                return [(c.Down(t), tv), (c.Down(loss), [(float)ScalarReference.SumSquaredError(y, tv, rows, cols)]),
                    (c.Down(grad), ScalarReference.SumSquaredErrorBackward(y, tv, rows, cols))];
            }, 1e-5, 1e-4);
        }
        yield return c.Compare("data", "gather-batch", "7 of 20 x 13", () =>
        {
            var images = Enumerable.Range(0, 20 * 13).Select(i => (byte)(i * 7 % 256)).ToArray();
            var labels = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
            var order = Enumerable.Range(0, 20).Reverse().ToArray();
            using var di = c.Up(images); using var dl = c.Up(labels); using var dor = c.Up(order);
            using var x = be.Allocate<float>(7 * 13); using var y = be.Allocate<int>(7);
            be.GatherBatch(new GatherBatchArgs
            {
                Images = di, Labels = dl, Order = dor, Start = 3, Count = 7, SampleLength = 13, Scale = 1f / 255f, X = x, Y = y,
            });
            var (rx, ry) = ScalarReference.GatherBatch(images, labels, order, 3, 7, 13, 1f / 255f);
            return [(c.Down(x), rx), (Array.ConvertAll(c.Down(y), v => (float)v), Array.ConvertAll(ry, v => (float)v))];
        });
        yield return c.Compare("data", "augment", "3x1x13x11", () =>
        {
            var x = c.Rand(3 * 13 * 11, 0f, 1f);
            var o = new AugmentOptions(2f, 15f, 0.2f);
            using var dx = c.Up(x); using var y = be.Allocate<float>(x.Length);
            be.Augment(dx, y, 3, 1, 13, 11, o, 99, 5);
            return [(c.Down(y), ScalarReference.Augment(x, 3, 1, 13, 11, o, 99, 5))];
        }, 1e-4, 1e-3);
        foreach (var rule in Enum.GetValues<UpdateRule>())
        {
            yield return c.Compare("optimizer", rule.ToString().ToLowerInvariant(), "3 steps x 1027", () =>
            {
                const int n = 1027;
                var p = c.Rand(n); var firstState = new float[n]; var secondState = new float[n];
                using var dp = c.Up(p); using var dFirst = c.Up(firstState); using var dSecond = c.Up(secondState);
                var hyper = new UpdateHyper(0.01f, 0.9f, 0.999f, 1e-7f);
                for (var t = 0; t < 3; t++)
                {
                    var g = c.Rand(n);
                    using var dg = c.Up(g);
                    be.ApplyUpdate(rule, hyper, new UpdateBuffers { Parameters = dp, Gradients = dg, FirstState = dFirst, SecondState = dSecond });
                    ScalarReference.ApplyUpdate(rule, hyper, p, g, firstState, secondState);
                }
                return [(c.Down(dp), p)];
            }, 1e-5, 1e-4);
        }
        foreach (var g in new[] { new ConvolutionGeometry(2, 3, 7, 7, 4, 3, 3, 2, 1), new ConvolutionGeometry(1, 1, 28, 28, 5, 5, 5, 1, 0), new ConvolutionGeometry(3, 2, 9, 6, 3, 3, 3, 1, 2) })
        {
            yield return c.Compare("convolution", "convolution forward+backward", $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} f{g.Filters} k{g.KernelH} s{g.Stride} p{g.Pad}", () =>
            {
                var x = c.Rand(g.InputLength); var w = c.Rand(g.WeightLength); var b = c.Rand(g.Filters); var dy = c.Rand(g.OutputLength);
                using var dx = c.Up(x); using var dw = c.Up(w); using var db = c.Up(b); using var y = be.Allocate<float>(g.OutputLength);
                using var ws = be.Allocate<float>((int)be.ConvolutionWorkspaceLength(g));
                using var ddy = c.Up(dy); using var gx = be.Allocate<float>(g.InputLength); using var gw = be.Allocate<float>(g.WeightLength); using var gb = be.Allocate<float>(g.Filters);
                be.ConvolutionForward(g, new ConvolutionForwardBuffers { X = dx, W = dw, B = db, Y = y, Workspace = ws });
                be.ConvolutionBackward(g, new ConvolutionBackwardBuffers { X = dx, W = dw, DY = ddy, DX = gx, DW = gw, DB = gb, Workspace = ws });
                var (rx, rw, rb) = ScalarReference.ConvolutionBackward(g, x, w, dy);
                return [(c.Down(y), ScalarReference.ConvolutionForward(g, x, w, b)), (c.Down(gx), rx), (c.Down(gw), rw), (c.Down(gb), rb)];
            }, 1e-4, 1e-4);
        }
        foreach (var mode in new[] { PoolingMode.Max, PoolingMode.Average })
        {
            foreach (var g in new[] { new PoolingGeometry(2, 3, 6, 6, 2, 2, 0), new PoolingGeometry(1, 2, 7, 7, 3, 2, 1) })
            {
                yield return c.Compare("convolution", $"{mode.ToString().ToLowerInvariant()}-pooling forward+backward", $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} k{g.Size} s{g.Stride} p{g.Pad}", () =>
                {
                    var x = c.Rand(g.InputLength); var dy = c.Rand(g.OutputLength);
                    using var dx = c.Up(x); using var y = be.Allocate<float>(g.OutputLength); using var arg = be.Allocate<int>(g.OutputLength);
                    using var ddy = c.Up(dy); using var gx = be.Allocate<float>(g.InputLength);
                    be.PoolingForward(mode, g, dx, y, arg);
                    be.PoolingBackward(mode, g, ddy, arg, gx);
                    var (ry, rarg) = ScalarReference.PoolingForward(mode, g, x);
                    return [(c.Down(y), ry), (c.Down(gx), ScalarReference.PoolingBackward(mode, g, dy, rarg))];
                });
            }
        }
        foreach (var g in new[] { new NormalizationGeometry(6, 5, 1), new NormalizationGeometry(3, 2, 9) })
        {
            yield return c.Compare("normalisation", "batchnorm train+backward+inference", $"{g.Batch}x{g.Channels}x{g.Spatial}", () =>
            {
                var x = c.Rand(g.Length); var gamma = c.Rand(g.Channels, 0.5f, 1.5f); var beta = c.Rand(g.Channels); var dy = c.Rand(g.Length);
                var rm = c.Rand(g.Channels); var rv = c.Rand(g.Channels, 0.5f, 1.5f);
                using var dx = c.Up(x); using var dg = c.Up(gamma); using var db = c.Up(beta); using var y = be.Allocate<float>(g.Length);
                using var drm = c.Up(rm); using var drv = c.Up(rv); using var mean = be.Allocate<float>(g.Channels); using var inv = be.Allocate<float>(g.Channels);
                using var ddy = c.Up(dy); using var gx = be.Allocate<float>(g.Length); using var gg = be.Allocate<float>(g.Channels); using var gb = be.Allocate<float>(g.Channels);
                using var yi = be.Allocate<float>(g.Length);
                var forward = new BatchNormForwardBuffers
                {
                    X = dx, Gamma = dg, Beta = db, Y = y, RunningMean = drm, RunningVar = drv, SavedMean = mean, SavedInvStd = inv,
                };
                be.BatchNormForward(g, new BatchNormSettings { Training = true, Momentum = 0.9f, Epsilon = 1e-6f }, forward);
                be.BatchNormBackward(g, new BatchNormBackwardBuffers
                {
                    X = dx, Gamma = dg, DY = ddy, SavedMean = mean, SavedInvStd = inv, DX = gx, DGamma = gg, DBeta = gb,
                });
                be.BatchNormForward(g, new BatchNormSettings { Training = false, Momentum = 0.9f, Epsilon = 1e-6f }, forward with { Y = yi });
                var r = ScalarReference.BatchNormForward(g, true, 0.9f, 1e-6f, x, gamma, beta, rm, rv);
                var (rx, rg, rb) = ScalarReference.BatchNormBackward(g, x, gamma, dy, r.Mean, r.InvStd);
                var ri = ScalarReference.BatchNormForward(g, false, 0.9f, 1e-6f, x, gamma, beta, r.RunningMean, r.RunningVar);
                return [(c.Down(y), r.Y), (c.Down(drm), r.RunningMean), (c.Down(drv), r.RunningVar), (c.Down(gx), rx), (c.Down(gg), rg), (c.Down(gb), rb), (c.Down(yi), ri.Y)];
            }, 1e-4, 1e-3);
        }
        yield return c.Compare("regularisation", "dropout + multiply", "1001 ratio 0.3", () =>
        {
            var x = c.Rand(1001);
            using var dx = c.Up(x); using var y = be.Allocate<float>(1001); using var mask = be.Allocate<float>(1001); using var back = be.Allocate<float>(1001);
            be.DropoutForward(dx, y, mask, 0.3f, 17, 4000);
            be.Multiply(dx, mask, back);
            var m = ScalarReference.DropoutMask(1001, 0.3f, 17, 4000);
            var expected = x.Select((v, i) => v * m[i]).ToArray();
            return [(c.Down(mask), m), (c.Down(y), expected), (c.Down(back), expected)];
        });
        yield return c.Compare("regularisation", "add-scaled + sum-of-squares", "1001", () =>
        {
            var x = c.Rand(1001); var y0 = c.Rand(1001);
            using var dx = c.Up(x); using var dy = c.Up(y0); using var acc = be.Allocate<float>(1);
            be.AddScaled(dx, 0.25f, dy);
            be.SumOfSquares(dx, 0.5f, acc);
            return [(c.Down(dy), x.Select((v, i) => y0[i] + 0.25f * v).ToArray()), (c.Down(acc), [(float)(0.5 * ScalarReference.SumOfSquares(x))])];
        }, 1e-5, 1e-4);
        yield return c.Compare("precision", "round-to-half", "1001", () =>
        {
            var x = c.Rand(1001, -70000f, 70000f).Concat(c.Rand(100, -1e-3f, 1e-3f)).ToArray();
            using var dx = c.Up(x);
            be.RoundToHalf(dx);
            return [(c.Down(dx), ScalarReference.RoundToHalf(x))];
        }, 0, 0);
    }

    /// <summary>Small networks that together hold every layer type, for the numerical gradient check.</summary>
    public static IReadOnlyList<(string Name, NetworkSpec Spec, int Batch)> GradientCases { get; } = BuildGradientCases();

    private static List<(string, NetworkSpec, int)> BuildGradientCases()
    {
        var wide = WeightInit.Normal(0.5f);
        AffineSpec Affine(int n) => new(n) { Init = wide };
        return
        [
            ("affine + softmax-with-loss", new NetworkSpec([5], [Affine(4), new SoftmaxWithLossSpec()], 4), 3),
            ("affine + mean-squared-error", new NetworkSpec([5], [Affine(4), new MeanSquaredErrorSpec()], 4), 3),
            ("relu", new NetworkSpec([6], [Affine(7), new ReluSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("sigmoid", new NetworkSpec([6], [Affine(7), new SigmoidSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("tanh", new NetworkSpec([6], [Affine(7), new TanhSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("batchnorm (flat)", new NetworkSpec([6], [Affine(5), new BatchNormalizationSpec(), new ReluSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 4),
            ("dropout (fixed mask)", new NetworkSpec([6], [Affine(8), new ReluSpec(), new DropoutSpec(0.3f), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("convolution stride 2 pad 1 + max pooling", new NetworkSpec([2, 7, 7],
                [new ConvolutionSpec(3, 3, 2, 1) { Init = wide }, new ReluSpec(), new PoolingSpec(2, 2), Affine(3), new SoftmaxWithLossSpec()], 3), 2),
            ("convolution pad 2 + average pooling pad 1", new NetworkSpec([1, 6, 5],
                [new ConvolutionSpec(2, 3, 1, 2) { Init = wide }, new PoolingSpec(3, 2, 1) { Mode = PoolingMode.Average }, new FlattenSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 2),
            ("batchnorm (per channel)", new NetworkSpec([1, 5, 5],
                [new ConvolutionSpec(2, 3, 1, 1) { Init = wide }, new BatchNormalizationSpec(), new TanhSpec(), Affine(3), new SoftmaxWithLossSpec()], 3), 3),
            ("small convnet (book ch.7 check)", new NetworkSpec([1, 10, 10],
                [new ConvolutionSpec(3, 3) { Init = wide }, new ReluSpec(), new PoolingSpec(2, 2), Affine(6), new ReluSpec(), Affine(4), new SoftmaxWithLossSpec()], 4), 2),
        ];
    }

    private static IEnumerable<CheckResult> GradientChecks(Backend backend)
    {
        foreach (var (name, spec, batch) in GradientCases)
        {
            var clock = Stopwatch.StartNew();
            CheckResult result;
            try
            {
                using var model = Model.Create(spec, backend, seed: 3);
                var (x, labels) = GradientChecker.RandomBatch(spec, batch, seed: 3);
                var failures = GradientChecker.Check(model, x, labels);
                result = new CheckResult("gradient", name, $"batch {batch}, {model.Network.ParameterCount} params", failures.Count, 0, failures.Count == 0,
                    clock.Elapsed.TotalMilliseconds, failures.Count == 0 ? null : failures[0]);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new CheckResult("gradient", name, $"batch {batch}", double.NaN, 0, false, clock.Elapsed.TotalMilliseconds, e.GetType().Name + ": " + e.Message);
            }
            yield return result;
        }
    }
}
