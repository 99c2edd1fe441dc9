using DeepGpu.Backends;
using DeepGpu.Kernels;

namespace DeepGpu.Diagnostics;

/// <summary>
/// One op on one shape, checked against <see cref="ScalarReference"/>. <see cref="OpCases.All"/> is the list both
/// <c>deepgpu check</c> (<see cref="SelfCheck"/>) and the op test suite run, so a case added there is checked by both.
/// </summary>
/// <param name="Run">Runs the op on the run's backend and returns each output with its reference.</param>
/// <param name="Absolute">Tolerance: |actual − expected| ≤ Absolute + Relative·|expected|.</param>
public sealed record OpCase(string Group, string Op, string Shape, Func<OpCaseRun, (float[] Actual, float[] Expected)[]> Run,
    double Absolute = 1e-5, double Relative = 1e-4)
{
    /// <summary>Op and shape: unique in <see cref="OpCases.All"/>.</summary>
    public string Name => $"{Op} {Shape}";

    /// <summary>Runs the case on <paramref name="backend"/> with inputs seeded by its name (the same inputs every time).</summary>
    public (float[] Actual, float[] Expected)[] RunOn(Backend backend) => Run(new OpCaseRun(backend, Name));
}

/// <summary>What a case's op runs with: the backend, seeded inputs, upload and download.</summary>
public sealed class OpCaseRun
{
    private readonly Random _rng;

    internal OpCaseRun(Backend backend, string name)
    {
        Backend = backend;
        // A stable seed per case (string.GetHashCode differs between processes).
        var seed = 12345;
        foreach (var ch in name) seed = unchecked(seed * 31 + ch);
        _rng = new Random(seed);
    }

    public Backend Backend { get; }

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
}

/// <summary>Every op on shapes that are not tile multiples (and size 1), each against its scalar reference.</summary>
public static class OpCases
{
    /// <summary>
    /// The convolution cases' shapes: one pixel, 1x1 and rectangular kernels, pad up to K - 1, strides 2 and 3, channels
    /// and filters off the multiples of 8, MNIST's first layer; on the cpu backend stride 1 with pad &lt; K takes the direct path.
    /// </summary>
    public static IReadOnlyList<ConvolutionGeometry> ConvolutionShapes { get; } =
    [
        new(1, 1, 1, 1, 1, 1, 1, 1, 0), new(1, 1, 5, 6, 1, 3, 3, 1, 0), new(2, 3, 7, 7, 4, 3, 3, 2, 1), new(1, 2, 5, 4, 3, 2, 3, 1, 2),
        new(3, 2, 6, 5, 5, 3, 2, 3, 1), new(3, 4, 8, 8, 9, 3, 3, 1, 1), new(1, 4, 5, 5, 3, 5, 5, 3, 1), new(3, 9, 5, 7, 4, 2, 3, 1, 1),
        new(3, 2, 6, 4, 5, 3, 1, 1, 0), new(2, 5, 4, 4, 8, 1, 1, 1, 0), new(1, 1, 28, 28, 5, 5, 5, 1, 0), new(3, 2, 9, 6, 3, 3, 3, 1, 2),
    ];

    // After the lists it reads: static initialisers run in order.
    public static IReadOnlyList<OpCase> All { get; } = Build().ToList();

    private static IEnumerable<OpCase> Build()
    {
        // GEMM: every transpose case, odd shapes, alpha/beta, NaN in C ignored when beta = 0.
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 5, 3), (33, 17, 65), (70, 66, 129) })
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 2f) }) yield return Gemm(ta, tb, m, n, k, alpha, beta);
            }
        }
        // Negative alpha and beta, a single row or column of C, and k = 0 (C = beta·C).
        yield return Gemm(true, false, 9, 6, 13, -1.25f, 0.5f);
        yield return Gemm(false, true, 6, 11, 7, 2f, -1f);
        yield return Gemm(true, true, 1, 17, 20, 1f, 1f);
        yield return Gemm(false, false, 18, 1, 5, 1f, 0.25f);
        yield return Gemm(false, false, 4, 3, 0, 1f, 0.5f);
        // The fused affine layer: one row, one output, one input, off the tile multiples; every activation and none.
        foreach (var (rows, inputs, outputs) in new[] { (1, 1, 1), (1, 13, 6), (9, 13, 1), (7, 1, 5), (33, 17, 10) })
        {
            foreach (var activation in new Activation?[] { null }.Concat(Enum.GetValues<Activation>().Cast<Activation?>()))
            {
                yield return Affine(new AffineGeometry(rows, inputs, outputs), activation);
            }
        }
        foreach (var (rows, cols) in new[] { (1, 1), (37, 13) })
        {
            yield return new OpCase("dense", "add-bias", $"{rows}x{cols}", c =>
            {
                var x = c.Rand(rows * cols); var b = c.Rand(cols);
                using var dx = c.Up(x); using var dbias = c.Up(b);
                c.Backend.AddBias(dx, dbias, rows, cols);
                return [(c.Down(dx), ScalarReference.AddBias(x, b, rows, cols))];
            });
            yield return new OpCase("dense", "bias-gradient", $"{rows}x{cols}", c =>
            {
                var dy = c.Rand(rows * cols);
                using var ddy = c.Up(dy); using var db = c.Backend.Allocate<float>(cols);
                c.Backend.BiasGradient(ddy, db, rows, cols);
                return [(c.Down(db), ScalarReference.BiasGradient(dy, rows, cols))];
            });
        }
        foreach (var kind in Enum.GetValues<Activation>())
        {
            yield return new OpCase("dense", $"{kind.ToString().ToLowerInvariant()} forward+backward", "1001", c =>
            {
                var x = c.Rand(1001, -4f, 4f); var dy = c.Rand(1001);
                using var dx = c.Up(x); using var y = c.Backend.Allocate<float>(1001); using var ddy = c.Up(dy); using var dxo = c.Backend.Allocate<float>(1001);
                c.Backend.ActivationForward(kind, dx, y);
                var yv = c.Down(y);
                c.Backend.ActivationBackward(kind, y, ddy, dxo);
                return [(yv, ScalarReference.ActivationForward(kind, x)), (c.Down(dxo), ScalarReference.ActivationBackward(kind, yv, dy))];
            }, 1e-5, 1e-3);
        }
        foreach (var (rows, cols) in new[] { (1, 1), (1, 10), (37, 10), (5, 1) })
        {
            yield return SoftmaxLoss(rows, cols);
            yield return new OpCase("loss", "softmax-cross-entropy", $"{rows}x{cols}", c =>
            {
                var x = c.Rand(rows * cols, -5f, 5f); var labels = c.Labels(rows, cols);
                using var dx = c.Up(x); using var dl = c.Up(labels); using var p = c.Backend.Allocate<float>(rows * cols);
                using var loss = c.Backend.Allocate<float>(1); using var grad = c.Backend.Allocate<float>(rows * cols); using var soft = c.Backend.Allocate<float>(rows * cols);
                using var correct = c.Backend.Allocate<float>(1);
                c.Backend.SoftmaxCrossEntropy(dx, dl, p, loss, rows, cols);
                c.Backend.SoftmaxCrossEntropyBackward(p, dl, grad, rows, cols);
                c.Backend.Softmax(dx, soft, rows, cols);
                c.Backend.CountCorrect(dx, dl, correct, rows, cols);
                var (probs, l) = ScalarReference.SoftmaxCrossEntropy(x, labels, rows, cols);
                return [(c.Down(p), probs), (c.Down(loss), [(float)l]), (c.Down(grad), ScalarReference.SoftmaxCrossEntropyBackward(probs, labels, rows, cols)),
                    (c.Down(soft), ScalarReference.Softmax(x, rows, cols)), (c.Down(correct), [ScalarReference.CountCorrect(x, labels, rows, cols)])];
            }, 1e-5, 1e-3);
            yield return new OpCase("loss", "sum-squared-error", $"{rows}x{cols}", c =>
            {
                var y = c.Rand(rows * cols); var labels = c.Labels(rows, cols);
                using var dy = c.Up(y); using var dl = c.Up(labels); using var t = c.Backend.Allocate<float>(rows * cols);
                using var loss = c.Backend.Allocate<float>(1); using var grad = c.Backend.Allocate<float>(rows * cols);
                c.Backend.OneHot(dl, t, rows, cols);
                c.Backend.SumSquaredError(dy, t, loss, rows, cols);
                c.Backend.SumSquaredErrorBackward(dy, t, grad, rows, cols);
                var tv = ScalarReference.OneHot(labels, rows, cols);
                return [(c.Down(t), tv), (c.Down(loss), [(float)ScalarReference.SumSquaredError(y, tv, rows, cols)]),
                    (c.Down(grad), ScalarReference.SumSquaredErrorBackward(y, tv, rows, cols))];
            }, 1e-5, 1e-4);
        }
        foreach (var n in new[] { 1, 1001 })
        {
            yield return new OpCase("data", "fill + copy", $"{n} inside {n + 2}", c =>
            {
                var x = c.Rand(n); var around = c.Rand(n + 2);
                using var dx = c.Up(x); using var filled = c.Up(around); using var copied = c.Up(around);
                c.Backend.Fill(filled.Slice(1, n), 2.5f);
                c.Backend.Copy(dx, copied.Slice(1, n));
                // The views' neighbours stay as they were.
                var expectedFill = (float[])around.Clone();
                Array.Fill(expectedFill, 2.5f, 1, n);
                var expectedCopy = (float[])around.Clone();
                x.CopyTo(expectedCopy, 1);
                return [(c.Down(filled), expectedFill), (c.Down(copied), expectedCopy)];
            }, 0, 0);
        }
        yield return new OpCase("data", "gather-batch", "7 of 20 x 13", c =>
        {
            var images = Enumerable.Range(0, 20 * 13).Select(i => (byte)(i * 7 % 256)).ToArray();
            var labels = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
            var order = Enumerable.Range(0, 20).Reverse().ToArray();
            using var di = c.Up(images); using var dl = c.Up(labels); using var dor = c.Up(order);
            using var x = c.Backend.Allocate<float>(7 * 13); using var y = c.Backend.Allocate<int>(7);
            c.Backend.GatherBatch(new GatherBatchArgs
            {
                Images = di, Labels = dl, Order = dor, Start = 3, Count = 7, SampleLength = 13, Scale = 1f / 255f, X = x, Y = y,
            });
            var (rx, ry) = ScalarReference.GatherBatch(images, labels, order, 3, 7, 13, 1f / 255f);
            return [(c.Down(x), rx), (Array.ConvertAll(c.Down(y), v => (float)v), Array.ConvertAll(ry, v => (float)v))];
        });
        yield return new OpCase("data", "augment", "3x1x13x11", c =>
        {
            var x = c.Rand(3 * 13 * 11, 0f, 1f);
            var o = new AugmentOptions(2f, 15f, 0.2f);
            using var dx = c.Up(x); using var y = c.Backend.Allocate<float>(x.Length);
            c.Backend.Augment(dx, y, 3, 1, 13, 11, o, 99, 5);
            return [(c.Down(y), ScalarReference.Augment(x, 3, 1, 13, 11, o, 99, 5))];
        }, 1e-4, 1e-3);
        yield return new OpCase("data", "step record: gather, augment, dropout, adam", "3 steps of 3 of 10 x 3x4", c =>
        {
            // The ops of a training step reading their per-step values from a record, over an epoch's end: batches at 3, 6,
            // then 0 (6 + 3 + 3 > 10); steps 7, 8, 9; Adam's t 4, 5, 6.
            const int count = 10, batch = 3, length = 12, n = 1027;
            var images = Enumerable.Range(0, count * length).Select(i => (byte)(i * 11 % 256)).ToArray();
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var order = Enumerable.Range(0, count).Reverse().ToArray();
            var o = new AugmentOptions(1f, 15f, 0.2f);
            var p = c.Rand(n); var m = new float[n]; var v = new float[n];
            using var di = c.Up(images); using var dl = c.Up(labels); using var dor = c.Up(order);
            using var x = c.Backend.Allocate<float>(batch * length); using var y = c.Backend.Allocate<int>(batch);
            using var augmented = c.Backend.Allocate<float>(batch * length);
            using var dropped = c.Backend.Allocate<float>(batch * length); using var mask = c.Backend.Allocate<float>(batch * length);
            using var dp = c.Up(p); using var dm = c.Up(m); using var dv = c.Up(v);
            using var record = new StepRecord(c.Backend, batch, count);
            record.SetNext(7, 3, 4);
            var results = new List<(float[] Actual, float[] Expected)>();
            var start = 3;
            for (var s = 0; s < 3; s++)
            {
                ulong step = 7 + (ulong)s;
                var g = c.Rand(n);
                using var dg = c.Up(g);
                c.Backend.GatherBatch(new GatherBatchArgs
                {
                    Images = di, Labels = dl, Order = dor, Start = 0, Count = batch, SampleLength = length, Scale = 1f / 255f, X = x, Y = y, Record = record,
                });
                c.Backend.Augment(x, augmented, batch, 1, 3, 4, o, 99, new StepCounter(5, 2, record));
                c.Backend.DropoutForward(x, dropped, mask, 0.3f, 17, new StepCounter(100, 1000, record));
                var hyper = new UpdateHyper(0.01f, 0.9f, 0.999f, 1e-7f);
                c.Backend.ApplyUpdate(UpdateRule.Adam, hyper, new UpdateBuffers { Parameters = dp, Gradients = dg, FirstState = dm, SecondState = dv, Record = record });
                record.Advanced();

                var (rx, ry) = ScalarReference.GatherBatch(images, labels, order, start, batch, length, 1f / 255f);
                var rm = ScalarReference.DropoutMask(batch * length, 0.3f, 17, 100 + 1000 * step);
                ScalarReference.ApplyUpdate(UpdateRule.Adam, hyper with { LearningRate = StepRecordKernels.AdamRate(0.01f, 0.9f, 0.999f, 4 + s) }, p, g, m, v);
                results.Add((c.Down(x), rx));
                results.Add((Array.ConvertAll(c.Down(y), l => (float)l), Array.ConvertAll(ry, l => (float)l)));
                results.Add((c.Down(augmented), ScalarReference.Augment(rx, batch, 1, 3, 4, o, 99, 5 + 2 * step)));
                results.Add((c.Down(dropped), rx.Select((value, i) => value * rm[i]).ToArray()));
                start = (int)StepRecordKernels.FollowingStart(start, batch, count);
            }
            results.Add((c.Down(dp), p));
            var stored = c.Down(record.Buffer);
            results.Add((Array.ConvertAll(stored, l => (float)l), [9, 0, 6, 10, 3, 7, batch, count]));
            return [.. results];
        }, 1e-4, 1e-3);
        foreach (var rule in Enum.GetValues<UpdateRule>())
        {
            yield return new OpCase("optimizer", rule.ToString().ToLowerInvariant(), "3 steps x 1027", c =>
            {
                const int n = 1027;
                var p = c.Rand(n); var firstState = new float[n]; var secondState = new float[n];
                using var dp = c.Up(p); using var dFirst = c.Up(firstState); using var dSecond = c.Up(secondState);
                var hyper = new UpdateHyper(0.01f, 0.9f, 0.999f, 1e-7f);
                for (var t = 0; t < 3; t++)
                {
                    var g = c.Rand(n);
                    using var dg = c.Up(g);
                    c.Backend.ApplyUpdate(rule, hyper, new UpdateBuffers { Parameters = dp, Gradients = dg, FirstState = dFirst, SecondState = dSecond });
                    ScalarReference.ApplyUpdate(rule, hyper, p, g, firstState, secondState);
                }
                return [(c.Down(dp), p)];
            }, 1e-5, 1e-4);
        }
        foreach (var g in ConvolutionShapes)
        {
            yield return Convolution(g, relu: false);
            yield return Convolution(g, relu: true);
        }
        foreach (var mode in new[] { PoolingMode.Max, PoolingMode.Average })
        {
            foreach (var g in new[] { new PoolingGeometry(2, 3, 6, 6, 2, 2, 0), new PoolingGeometry(1, 2, 7, 7, 3, 2, 1) })
            {
                yield return new OpCase("convolution", $"{mode.ToString().ToLowerInvariant()}-pooling forward+backward", $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} k{g.Size} s{g.Stride} p{g.Pad}", c =>
                {
                    var x = c.Rand(g.InputLength); var dy = c.Rand(g.OutputLength);
                    using var dx = c.Up(x); using var y = c.Backend.Allocate<float>(g.OutputLength); using var arg = c.Backend.Allocate<int>(g.OutputLength);
                    using var ddy = c.Up(dy); using var gx = c.Backend.Allocate<float>(g.InputLength);
                    c.Backend.PoolingForward(mode, g, dx, y, arg);
                    c.Backend.PoolingBackward(mode, g, ddy, arg, gx);
                    var (ry, rarg) = ScalarReference.PoolingForward(mode, g, x);
                    return [(c.Down(y), ry), (c.Down(gx), ScalarReference.PoolingBackward(mode, g, dy, rarg))];
                });
            }
        }
        foreach (var g in new[] { new NormalizationGeometry(6, 5, 1), new NormalizationGeometry(3, 2, 9) })
        {
            yield return new OpCase("normalisation", "batchnorm train+backward+inference", $"{g.Batch}x{g.Channels}x{g.Spatial}", c =>
            {
                var x = c.Rand(g.Length); var gamma = c.Rand(g.Channels, 0.5f, 1.5f); var beta = c.Rand(g.Channels); var dy = c.Rand(g.Length);
                var rm = c.Rand(g.Channels); var rv = c.Rand(g.Channels, 0.5f, 1.5f);
                using var dx = c.Up(x); using var dg = c.Up(gamma); using var db = c.Up(beta); using var y = c.Backend.Allocate<float>(g.Length);
                using var drm = c.Up(rm); using var drv = c.Up(rv); using var mean = c.Backend.Allocate<float>(g.Channels); using var inv = c.Backend.Allocate<float>(g.Channels);
                using var ddy = c.Up(dy); using var gx = c.Backend.Allocate<float>(g.Length); using var gg = c.Backend.Allocate<float>(g.Channels); using var gb = c.Backend.Allocate<float>(g.Channels);
                using var yi = c.Backend.Allocate<float>(g.Length);
                var forward = new BatchNormForwardBuffers
                {
                    X = dx, Gamma = dg, Beta = db, Y = y, RunningMean = drm, RunningVar = drv, SavedMean = mean, SavedInvStd = inv,
                };
                c.Backend.BatchNormForward(g, new BatchNormSettings { Training = true, Momentum = 0.9f, Epsilon = 1e-6f }, forward);
                c.Backend.BatchNormBackward(g, new BatchNormBackwardBuffers
                {
                    X = dx, Gamma = dg, DY = ddy, SavedMean = mean, SavedInvStd = inv, DX = gx, DGamma = gg, DBeta = gb,
                });
                c.Backend.BatchNormForward(g, new BatchNormSettings { Training = false, Momentum = 0.9f, Epsilon = 1e-6f }, forward with { Y = yi });
                var r = ScalarReference.BatchNormForward(g, true, 0.9f, 1e-6f, x, gamma, beta, rm, rv);
                var (rx, rg, rb) = ScalarReference.BatchNormBackward(g, x, gamma, dy, r.Mean, r.InvStd);
                var ri = ScalarReference.BatchNormForward(g, false, 0.9f, 1e-6f, x, gamma, beta, r.RunningMean, r.RunningVar);
                return [(c.Down(y), r.Y), (c.Down(drm), r.RunningMean), (c.Down(drv), r.RunningVar), (c.Down(gx), rx), (c.Down(gg), rg), (c.Down(gb), rb), (c.Down(yi), ri.Y)];
            }, 1e-4, 1e-3);
        }
        yield return new OpCase("regularisation", "dropout + multiply", "1001 ratio 0.3", c =>
        {
            var x = c.Rand(1001);
            using var dx = c.Up(x); using var y = c.Backend.Allocate<float>(1001); using var mask = c.Backend.Allocate<float>(1001); using var back = c.Backend.Allocate<float>(1001);
            c.Backend.DropoutForward(dx, y, mask, 0.3f, 17, 4000);
            c.Backend.Multiply(dx, mask, back);
            var m = ScalarReference.DropoutMask(1001, 0.3f, 17, 4000);
            var expected = x.Select((v, i) => v * m[i]).ToArray();
            return [(c.Down(mask), m), (c.Down(y), expected), (c.Down(back), expected)];
        });
        foreach (var n in new[] { 1, 1001 })
        {
            yield return new OpCase("regularisation", "add-scaled + sum-of-squares", $"{n}", c =>
            {
                var x = c.Rand(n); var y0 = c.Rand(n);
                using var dx = c.Up(x); using var dy = c.Up(y0); using var acc = c.Up(new[] { 1.5f });
                c.Backend.AddScaled(dx, 0.25f, dy);
                c.Backend.SumOfSquares(dx, 0.5f, acc);
                return [(c.Down(dy), x.Select((v, i) => y0[i] + 0.25f * v).ToArray()), (c.Down(acc), [(float)(1.5 + 0.5 * ScalarReference.SumOfSquares(x))])];
            }, 1e-5, 1e-4);
        }
        yield return new OpCase("precision", "round-to-half", "1001", c =>
        {
            var x = c.Rand(1001, -70000f, 70000f).Concat(c.Rand(100, -1e-3f, 1e-3f)).ToArray();
            using var dx = c.Up(x);
            c.Backend.RoundToHalf(dx);
            return [(c.Down(dx), ScalarReference.RoundToHalf(x))];
        }, 0, 0);
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C; with beta = 0, C starts as NaN, which must not reach the result.</summary>
    public static OpCase Gemm(bool ta, bool tb, int m, int n, int k, float alpha, float beta) =>
        new("dense", "gemm", $"{(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k} a{alpha} b{beta}", c =>
        {
            var a = c.Rand(m * k); var b = c.Rand(k * n);
            var c0 = beta == 0 ? NaNs(m * n) : c.Rand(m * n);
            using var da = c.Up(a); using var db = c.Up(b); using var dc = c.Up(c0);
            c.Backend.Gemm(ta, tb, m, n, k, alpha, da, db, beta, dc);
            return [(c.Down(dc), ScalarReference.Gemm(ta, tb, m, n, k, alpha, a, b, beta, beta == 0 ? new float[m * n] : c0))];
        }, 1e-4, 1e-4);

    private static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    /// <summary>
    /// The fused affine layer forward and backward (with and without dx) against <see cref="ScalarReference.AffineForward"/>
    /// and <see cref="ScalarReference.AffineBackward"/>; outputs start as NaN, so an output left partly unwritten shows.
    /// </summary>
    public static OpCase Affine(AffineGeometry g, Activation? activation) =>
        new("dense", $"affine{(activation is { } a ? "-" + a.ToString().ToLowerInvariant() : "")} forward+backward", $"{g.Rows}x{g.Inputs}x{g.Outputs}", c =>
        {
            var x = c.Rand(g.Rows * g.Inputs); var w = c.Rand(g.Inputs * g.Outputs); var b = c.Rand(g.Outputs, -0.5f, 0.5f); var dy = c.Rand(g.Rows * g.Outputs);
            var yRef = ScalarReference.AffineForward(g, activation, x, w, b);
            var (rx, rw, rb) = ScalarReference.AffineBackward(g, activation, x, w, yRef, dy);
            using var dx = c.Up(x); using var dw = c.Up(w); using var db = c.Up(b); using var y = c.Up(NaNs(yRef.Length));
            c.Backend.AffineForward(g, activation, new AffineForwardBuffers { X = dx, W = dw, B = db, Y = y });
            // A backend may overwrite DY with DZ, so each call gets its own copy.
            using var dyRef = c.Up(yRef); using var ddy = c.Up(dy); using var ddy2 = c.Up(dy);
            using var gx = c.Up(NaNs(x.Length)); using var gw = c.Up(NaNs(w.Length)); using var gb = c.Up(NaNs(b.Length));
            using var gw2 = c.Up(NaNs(w.Length)); using var gb2 = c.Up(NaNs(b.Length));
            var backward = new AffineBackwardBuffers { X = dx, W = dw, Y = dyRef, DY = ddy, DX = gx, DW = gw, DB = gb };
            c.Backend.AffineBackward(g, activation, backward);
            c.Backend.AffineBackward(g, activation, backward with { DY = ddy2, DX = default, DW = gw2, DB = gb2 });
            return [(c.Down(y), yRef), (c.Down(gx), rx), (c.Down(gw), rw), (c.Down(gb), rb), (c.Down(gw2), rw), (c.Down(gb2), rb)];
        }, 1e-4, 1e-4);

    /// <summary>
    /// The fused loss op (probabilities, loss and correct count added to what the buffers hold, the logit gradient) with
    /// and without the gradient, against the separate references.
    /// </summary>
    public static OpCase SoftmaxLoss(int rows, int cols) => new("loss", "softmax-loss (fused)", $"{rows}x{cols}", c =>
    {
        var x = c.Rand(rows * cols, -5f, 5f); var labels = c.Labels(rows, cols);
        var (probs, l) = ScalarReference.SoftmaxCrossEntropy(x, labels, rows, cols);
        var grad = ScalarReference.SoftmaxCrossEntropyBackward(probs, labels, rows, cols);
        var correct = ScalarReference.CountCorrect(x, labels, rows, cols);
        using var dx = c.Up(x); using var dl = c.Up(labels);
        var results = new List<(float[], float[])>();
        foreach (var withGradient in new[] { true, false })
        {
            using var p = c.Up(NaNs(rows * cols)); using var loss = c.Up(new[] { 0.5f }); using var count = c.Up(new[] { 2f }); using var d = c.Up(NaNs(rows * cols));
            c.Backend.SoftmaxLoss(new SoftmaxLossBuffers
            {
                Logits = dx, Labels = dl, Probabilities = p, LossSum = loss, CorrectCount = count, DLogits = withGradient ? d.View : default,
            }, rows, cols);
            results.AddRange([(c.Down(p), probs), (c.Down(loss), [(float)(0.5 + l)]), (c.Down(count), [2f + correct])]);
            if (withGradient) results.Add((c.Down(d), grad));
        }
        return [.. results];
    }, 1e-5, 1e-3);

    /// <summary>
    /// Convolution (or the fused convolution + ReLU) forward and backward, with and without dx, against
    /// <see cref="ScalarReference.ConvolutionForward"/> and <see cref="ScalarReference.ConvolutionBackward"/>; outputs and
    /// workspace start as NaN, so an unwritten output or a stale workspace value that leaks in shows.
    /// </summary>
    public static OpCase Convolution(ConvolutionGeometry g, bool relu) => new("convolution", relu ? "convolution-relu forward+backward" : "convolution forward+backward",
        $"{g.Batch}x{g.Channels}x{g.Height}x{g.Width} f{g.Filters} k{g.KernelH}x{g.KernelW} s{g.Stride} p{g.Pad}", c =>
        {
            var x = c.Rand(g.InputLength); var w = c.Rand(g.WeightLength); var b = c.Rand(g.Filters); var dy = c.Rand(g.OutputLength);
            var yRef = ScalarReference.ConvolutionForward(g, x, w, b);
            if (relu) yRef = ScalarReference.ActivationForward(Activation.Relu, yRef);
            var (rx, rw, rb) = ScalarReference.ConvolutionBackward(g, x, w, relu ? ScalarReference.ActivationBackward(Activation.Relu, yRef, dy) : dy);
            using var dx = c.Up(x); using var dw = c.Up(w); using var db = c.Up(b); using var y = c.Up(NaNs(g.OutputLength));
            using var ws = c.Up(NaNs((int)Math.Max(1, c.Backend.ConvolutionWorkspaceLength(g))));
            using var ddy = c.Up(dy); using var gx = c.Up(NaNs(g.InputLength)); using var gw = c.Up(NaNs(g.WeightLength)); using var gb = c.Up(NaNs(g.Filters));
            using var gw2 = c.Up(NaNs(g.WeightLength)); using var gb2 = c.Up(NaNs(g.Filters));
            var forward = new ConvolutionForwardBuffers { X = dx, W = dw, B = db, Y = y, Workspace = ws };
            var backward = new ConvolutionBackwardBuffers { X = dx, W = dw, DY = ddy, DX = gx, DW = gw, DB = gb, Workspace = ws };
            if (relu)
            {
                c.Backend.ConvolutionReluForward(g, forward);
                c.Backend.ConvolutionReluBackward(g, backward, y);
                c.Backend.ConvolutionReluBackward(g, backward with { DX = default, DW = gw2, DB = gb2 }, y);
            }
            else
            {
                c.Backend.ConvolutionForward(g, forward);
                c.Backend.ConvolutionBackward(g, backward);
                c.Backend.ConvolutionBackward(g, backward with { DX = default, DW = gw2, DB = gb2 });
            }
            return [(c.Down(y), yRef), (c.Down(gx), rx), (c.Down(gw), rw), (c.Down(gb), rb), (c.Down(gw2), rw), (c.Down(gb2), rb)];
        }, 1e-4, 1e-4);
}
