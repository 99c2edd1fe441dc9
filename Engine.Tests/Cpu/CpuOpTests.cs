using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Kernels;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>
/// Quick checks of the CPU backend's convolution, pooling, batch norm, dropout, precision and optimizer ops
/// against simple loops written here and the golden files. (The full cross-backend suite lives in Ops/.)
/// </summary>
public class CpuOpTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> ConvShapes => new()
    {
        // N, C, H, W, F, KH, KW, stride, pad
        { 1, 1, 1, 1, 1, 1, 1, 1, 0 },
        { 3, 2, 7, 6, 5, 3, 3, 1, 1 },
        { 2, 3, 9, 8, 4, 3, 2, 2, 2 },
        { 5, 1, 28, 28, 30, 5, 5, 1, 0 },
        { 4, 7, 8, 8, 33, 3, 3, 1, 1 },
        { 1, 4, 5, 5, 3, 5, 5, 3, 1 },
        // The direct path (stride 1, pad below the kernel): a last group of one image on the canvas grid, filters
        // and channels off the multiples of 8, rectangular kernels, 1×1, pad = K − 1 (dy unpadded).
        { 13, 3, 8, 8, 9, 3, 3, 1, 1 },
        { 3, 9, 5, 7, 4, 2, 3, 1, 1 },
        { 3, 2, 6, 4, 5, 3, 1, 1, 0 },
        { 2, 5, 4, 4, 8, 1, 1, 1, 0 },
        { 4, 16, 14, 14, 32, 3, 3, 1, 2 },
    };

    [Theory, MemberData(nameof(ConvShapes))]
    public void ConvolutionMatchesLoops(int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad)
    {
        // im2col + GEMM (scalar and best tier), and the direct path (stride 1) on each tier that has one.
        var runs = new List<(CpuTier, bool)> { (CpuTier.Scalar, false), (CpuTiers.Best, false) };
        runs.AddRange(new[] { CpuTier.Vector512, CpuTier.Vector256, CpuTier.Vector128 }.Where(CpuTiers.IsSupported).Select(t => (t, true)));
        foreach (var (tier, direct) in runs)
        {
            CheckConvolution(tier, direct, new ConvolutionGeometry(n, c, h, w, f, kh, kw, stride, pad), seed: n + c + f);
        }
    }

    private static void CheckConvolution(CpuTier tier, bool direct, ConvolutionGeometry g, int seed)
    {
        using var backend = new CpuBackend(tier) { DirectConvolutions = direct };
        var rng = new Random(seed);
        var x = GemmTests.Random(rng, g.InputLength);
        var wt = GemmTests.Random(rng, g.WeightLength);
        var b = GemmTests.Random(rng, g.Filters);
        var dy = GemmTests.Random(rng, g.OutputLength);
        var (y, dx, dw, db) = RunConvolution(backend, g, x, wt, b, dy);

        var ry = new double[g.OutputLength];
        var rdx = new double[g.InputLength];
        var rdw = new double[g.WeightLength];
        var rdb = new double[g.Filters];
        for (var ni = 0; ni < g.Batch; ni++)
        for (var fi = 0; fi < g.Filters; fi++)
        for (var oh = 0; oh < g.OutH; oh++)
        for (var ow = 0; ow < g.OutW; ow++)
        {
            var o = ((ni * g.Filters + fi) * g.OutH + oh) * g.OutW + ow;
            double sum = b[fi];
            rdb[fi] += dy[o];
            for (var ci = 0; ci < g.Channels; ci++)
            for (var i = 0; i < g.KernelH; i++)
            for (var j = 0; j < g.KernelW; j++)
            {
                int ih = oh * g.Stride - g.Pad + i, iw = ow * g.Stride - g.Pad + j;
                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                var xi = ((ni * g.Channels + ci) * g.Height + ih) * g.Width + iw;
                var wi = ((fi * g.Channels + ci) * g.KernelH + i) * g.KernelW + j;
                sum += (double)x[xi] * wt[wi];
                rdx[xi] += (double)dy[o] * wt[wi];
                rdw[wi] += (double)dy[o] * x[xi];
            }
            ry[o] = sum;
        }
        AssertClose(ry, y, 1e-4, $"{tier} direct={direct} y");
        AssertClose(rdx, dx, 1e-4, $"{tier} direct={direct} dx");
        AssertClose(rdw, dw, 1e-4, $"{tier} direct={direct} dw");
        AssertClose(rdb, db, 1e-4, $"{tier} direct={direct} db");
    }

    private static (float[] Y, float[] Dx, float[] Dw, float[] Db) RunConvolution(CpuBackend backend, ConvolutionGeometry g,
        float[] x, float[] w, float[] b, float[] dy)
    {
        using var xb = Upload(backend, x);
        using var wb = Upload(backend, w);
        using var bb = Upload(backend, b);
        using var dyb = Upload(backend, dy);
        using var yb = backend.Allocate<float>(g.OutputLength);
        using var dxb = backend.Allocate<float>(g.InputLength);
        using var dwb = backend.Allocate<float>(g.WeightLength);
        using var dbb = backend.Allocate<float>(g.Filters);
        using var ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(g));
        // Stale values in the outputs and the workspace must not leak into the results.
        backend.Fill(ws, float.NaN);
        backend.Fill(dxb, float.NaN);
        backend.Fill(dwb, float.NaN);
        backend.Fill(yb, float.NaN);
        backend.ConvolutionForward(g, new ConvolutionForwardBuffers { X = xb, W = wb, B = bb, Y = yb, Workspace = ws });
        backend.ConvolutionBackward(g, new ConvolutionBackwardBuffers { X = xb, W = wb, DY = dyb, DX = dxb, DW = dwb, DB = dbb, Workspace = ws });
        return (GemmTests.Download(backend, yb), GemmTests.Download(backend, dxb), GemmTests.Download(backend, dwb), GemmTests.Download(backend, dbb));
    }

    [Theory]
    [InlineData("convolution_0")]
    [InlineData("convolution_1")]
    [InlineData("convolution_2")]
    [InlineData("convolution_3")]
    [InlineData("convolution_4")]
    public void ConvolutionMatchesGolden(string name)
    {
        var gold = Golden.Load(name);
        var xs = gold.Shape("x");
        var ws = gold.Shape("W");
        var g = new ConvolutionGeometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], (int)gold.Param("stride"), (int)gold.Param("pad"));
        using var backend = new CpuBackend();
        var (y, dx, dw, db) = RunConvolution(backend, g, gold.Input("x"), gold.Input("W"), gold.Input("b"), gold.Input("dy"));
        AssertClose(gold.Output("y"), y, 1e-5, "y");
        AssertClose(gold.Output("dx"), dx, 1e-5, "dx");
        AssertClose(gold.Output("dW"), dw, 1e-5, "dW");
        AssertClose(gold.Output("db"), db, 1e-5, "db");
    }

    [Fact]
    public void ConvolutionBackwardWithoutDx()
    {
        var g = new ConvolutionGeometry(3, 1, 6, 6, 2, 3, 3, 1, 0);
        using var backend = new CpuBackend();
        var rng = new Random(3);
        using var x = Upload(backend, GemmTests.Random(rng, g.InputLength));
        using var w = Upload(backend, GemmTests.Random(rng, g.WeightLength));
        using var dy = Upload(backend, GemmTests.Random(rng, g.OutputLength));
        using var dw = backend.Allocate<float>(g.WeightLength);
        using var db = backend.Allocate<float>(g.Filters);
        using var ws = backend.Allocate<float>((int)backend.ConvolutionWorkspaceLength(g));
        backend.ConvolutionBackward(g, new ConvolutionBackwardBuffers { X = x, W = w, DY = dy, DX = default, DW = dw, DB = db, Workspace = ws });
        Assert.All(GemmTests.Download(backend, dw), v => Assert.True(float.IsFinite(v) && v != 0f));
    }

    public static TheoryData<int, int, int, int, int, int, int> PoolShapes => new()
    {
        // N, C, H, W, size, stride, pad
        { 1, 1, 1, 1, 1, 1, 0 },
        { 2, 3, 6, 6, 2, 2, 0 },
        { 2, 2, 7, 5, 3, 2, 1 },
        { 3, 4, 9, 9, 3, 1, 1 },
        { 1, 2, 8, 8, 2, 3, 0 },
        { 100, 30, 24, 24, 2, 2, 0 },
    };

    [Theory, MemberData(nameof(PoolShapes))]
    public void PoolingMatchesLoops(int n, int c, int h, int w, int size, int stride, int pad)
    {
        var g = new PoolingGeometry(n, c, h, w, size, stride, pad);
        var rng = new Random(n * 13 + c);
        // Coarse values so that ties occur: the first cell of the window must win them.
        var x = Enumerable.Range(0, g.InputLength).Select(_ => (float)rng.Next(-4, 4)).ToArray();
        var dy = GemmTests.Random(rng, g.OutputLength);
        using var backend = new CpuBackend();
        foreach (var mode in new[] { PoolingMode.Max, PoolingMode.Average })
        {
            using var xb = Upload(backend, x);
            using var dyb = Upload(backend, dy);
            using var yb = backend.Allocate<float>(g.OutputLength);
            using var am = backend.Allocate<int>(g.OutputLength);
            using var dxb = backend.Allocate<float>(g.InputLength);
            backend.Fill(dxb, float.NaN);
            backend.PoolingForward(mode, g, xb, yb, am);
            backend.PoolingBackward(mode, g, dyb, am, dxb);
            var y = GemmTests.Download(backend, yb);
            var dx = GemmTests.Download(backend, dxb);
            var arg = new int[g.OutputLength];
            backend.Download(am.View, arg);
            var ry = new double[g.OutputLength];
            var rdx = new double[g.InputLength];
            for (var p = 0; p < n * c; p++)
            for (var oh = 0; oh < g.OutH; oh++)
            for (var ow = 0; ow < g.OutW; ow++)
            {
                var o = (p * g.OutH + oh) * g.OutW + ow;
                var best = -1;
                double sum = 0;
                for (var i = 0; i < size; i++)
                for (var j = 0; j < size; j++)
                {
                    int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                    var xi = (p * h + ih) * w + iw;
                    sum += x[xi];
                    // Row-major window order, strict >: the first maximum wins.
                    if (best < 0 || x[xi] > x[best]) best = xi;
                }
                if (mode == PoolingMode.Max)
                {
                    ry[o] = x[best];
                    rdx[best] += dy[o];
                    Assert.Equal(best, arg[o]);
                }
                else
                {
                    ry[o] = sum / (size * size);
                    for (var i = 0; i < size; i++)
                    for (var j = 0; j < size; j++)
                    {
                        int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) rdx[(p * h + ih) * w + iw] += dy[o] / (size * size);
                    }
                }
            }
            AssertClose(ry, y, 1e-6, $"{mode} y");
            AssertClose(rdx, dx, 1e-5, $"{mode} dx");
        }
    }

    [Theory]
    [InlineData("pooling_max_0")]
    [InlineData("pooling_max_1")]
    [InlineData("pooling_average_2")]
    [InlineData("pooling_average_3")]
    public void PoolingMatchesGolden(string name)
    {
        var gold = Golden.Load(name);
        var s = gold.Shape("x");
        var g = new PoolingGeometry(s[0], s[1], s[2], s[3], (int)gold.Param("size"), (int)gold.Param("stride"), (int)gold.Param("pad"));
        var mode = gold.Text("mode") == "max" ? PoolingMode.Max : PoolingMode.Average;
        using var backend = new CpuBackend();
        using var x = Upload(backend, gold.Input("x"));
        using var dy = Upload(backend, gold.Input("dy"));
        using var y = backend.Allocate<float>(g.OutputLength);
        using var am = backend.Allocate<int>(g.OutputLength);
        using var dx = backend.Allocate<float>(g.InputLength);
        backend.PoolingForward(mode, g, x, y, am);
        backend.PoolingBackward(mode, g, dy, am, dx);
        AssertClose(gold.Output("y"), GemmTests.Download(backend, y), 1e-6, "y");
        AssertClose(gold.Output("dx"), GemmTests.Download(backend, dx), 1e-6, "dx");
    }

    [Theory]
    [InlineData(6, 5, 1)]
    [InlineData(3, 2, 9)]
    [InlineData(1, 3, 4)]
    [InlineData(100, 100, 1)]
    [InlineData(20, 16, 49)]
    public void BatchNormMatchesLoops(int batch, int channels, int spatial)
    {
        var g = new NormalizationGeometry(batch, channels, spatial);
        var rng = new Random(batch + channels);
        var x = GemmTests.Random(rng, g.Length).Select(v => v * 3 + 1).ToArray();
        var gamma = GemmTests.Random(rng, channels);
        var beta = GemmTests.Random(rng, channels);
        var dy = GemmTests.Random(rng, g.Length);
        var rm0 = GemmTests.Random(rng, channels);
        var rv0 = GemmTests.Random(rng, channels).Select(v => v + 1.5f).ToArray();
        const float momentum = 0.9f, eps = 1e-6f;
        var r = RunBatchNorm(new CpuBackend(), g, momentum, eps, x, gamma, beta, dy, rm0, rv0);

        var m = batch * spatial;
        int Index(int n, int c, int s) => (n * channels + c) * spatial + s;
        for (var c = 0; c < channels; c++)
        {
            double mean = 0, variance = 0;
            for (var n = 0; n < batch; n++) for (var s = 0; s < spatial; s++) mean += x[Index(n, c, s)];
            mean /= m;
            for (var n = 0; n < batch; n++) for (var s = 0; s < spatial; s++) variance += Math.Pow(x[Index(n, c, s)] - mean, 2);
            variance /= m;
            var std = Math.Sqrt(variance + eps);
            double dbeta = 0, dgamma = 0, dxnSum = 0, dxnXnSum = 0;
            for (var n = 0; n < batch; n++)
            for (var s = 0; s < spatial; s++)
            {
                var i = Index(n, c, s);
                var xn = (x[i] - mean) / std;
                Near(gamma[c] * xn + beta[c], r.Y[i], 1e-5, "y");
                Near(gamma[c] * (x[i] - rm0[c]) / Math.Sqrt(rv0[c] + eps) + beta[c], r.YInference[i], 1e-5, "inference y");
                dbeta += dy[i];
                dgamma += dy[i] * xn;
                dxnSum += gamma[c] * dy[i];
                dxnXnSum += gamma[c] * dy[i] * xn;
            }
            for (var n = 0; n < batch; n++)
            for (var s = 0; s < spatial; s++)
            {
                var i = Index(n, c, s);
                var xn = (x[i] - mean) / std;
                Near((gamma[c] * dy[i] - dxnSum / m - xn * dxnXnSum / m) / std, r.Dx[i], 1e-4, "dx");
            }
            Near(dbeta, r.Dbeta[c], 1e-4, "dbeta");
            Near(dgamma, r.Dgamma[c], 1e-4, "dgamma");
            Near(momentum * rm0[c] + (1 - momentum) * mean, r.RunningMean[c], 1e-5, "running mean");
            Near(momentum * rv0[c] + (1 - momentum) * variance, r.RunningVar[c], 1e-5, "running var");
        }
    }

    [Theory]
    [InlineData("batchnorm_0")]
    [InlineData("batchnorm_1")]
    public void BatchNormMatchesGolden(string name)
    {
        var gold = Golden.Load(name);
        var s = gold.Shape("x");
        var g = new NormalizationGeometry(s[0], s[1], s.Skip(2).Aggregate(1, (a, b) => a * b));
        var r = RunBatchNorm(new CpuBackend(), g, (float)gold.Param("momentum"), (float)gold.Param("eps"), gold.Input("x"),
            gold.Input("gamma"), gold.Input("beta"), gold.Input("dy"), gold.Input("running_mean"), gold.Input("running_var"));
        AssertClose(gold.Output("y"), r.Y, 1e-5, "y");
        AssertClose(gold.Output("dx"), r.Dx, 1e-4, "dx");
        AssertClose(gold.Output("dgamma"), r.Dgamma, 1e-5, "dgamma");
        AssertClose(gold.Output("dbeta"), r.Dbeta, 1e-5, "dbeta");
        AssertClose(gold.Output("running_mean_after"), r.RunningMean, 1e-5, "running mean");
        AssertClose(gold.Output("running_var_after"), r.RunningVar, 1e-5, "running var");
    }

    private sealed record BatchNormResult(float[] Y, float[] YInference, float[] Dx, float[] Dgamma, float[] Dbeta, float[] RunningMean, float[] RunningVar);

    private static BatchNormResult RunBatchNorm(CpuBackend backend, NormalizationGeometry g, float momentum, float eps, float[] x,
        float[] gamma, float[] beta, float[] dy, float[] rm0, float[] rv0)
    {
        using (backend)
        {
            using var xb = Upload(backend, x);
            using var gb = Upload(backend, gamma);
            using var bb = Upload(backend, beta);
            using var dyb = Upload(backend, dy);
            using var rm = Upload(backend, rm0);
            using var rv = Upload(backend, rv0);
            using var y = backend.Allocate<float>(g.Length);
            using var mean = backend.Allocate<float>(g.Channels);
            using var inv = backend.Allocate<float>(g.Channels);
            using var dx = backend.Allocate<float>(g.Length);
            using var dgamma = backend.Allocate<float>(g.Channels);
            using var dbeta = backend.Allocate<float>(g.Channels);
            // Inference first, from the initial running statistics; it must leave them alone.
            backend.BatchNormForward(g, new BatchNormSettings { Training = false, Momentum = momentum, Epsilon = eps }, new BatchNormForwardBuffers
            {
                X = xb, Gamma = gb, Beta = bb, Y = y, RunningMean = rm, RunningVar = rv, SavedMean = mean, SavedInvStd = inv,
            });
            var inference = GemmTests.Download(backend, y);
            Assert.Equal(rm0, GemmTests.Download(backend, rm));
            backend.BatchNormForward(g, new BatchNormSettings { Training = true, Momentum = momentum, Epsilon = eps }, new BatchNormForwardBuffers
            {
                X = xb, Gamma = gb, Beta = bb, Y = y, RunningMean = rm, RunningVar = rv, SavedMean = mean, SavedInvStd = inv,
            });
            backend.BatchNormBackward(g, new BatchNormBackwardBuffers
            {
                X = xb, Gamma = gb, DY = dyb, SavedMean = mean, SavedInvStd = inv, DX = dx, DGamma = dgamma, DBeta = dbeta,
            });
            return new(GemmTests.Download(backend, y), inference, GemmTests.Download(backend, dx), GemmTests.Download(backend, dgamma),
                GemmTests.Download(backend, dbeta), GemmTests.Download(backend, rm), GemmTests.Download(backend, rv));
        }
    }

    [Theory]
    [InlineData(1, 0.5f)]
    [InlineData(1000, 0.5f)]
    [InlineData(300_001, 0.2f)]
    [InlineData(17, 0f)]
    public void DropoutDrawsTheDocumentedNumbers(int length, float ratio)
    {
        using var backend = new CpuBackend();
        var rng = new Random(length);
        var x = GemmTests.Random(rng, length);
        using var xb = Upload(backend, x);
        using var y = backend.Allocate<float>(length);
        using var mask = backend.Allocate<float>(length);
        const ulong seed = 42, counter = 1234;
        backend.DropoutForward(xb, y, mask, ratio, seed, counter);
        var ys = GemmTests.Download(backend, y);
        var ms = GemmTests.Download(backend, mask);
        for (var i = 0; i < length; i++)
        {
            var expected = CounterRng.Uniform(seed, counter + (ulong)i) >= ratio ? 1f / (1f - ratio) : 0f;
            Assert.Equal(expected, ms[i]);
            Assert.Equal(x[i] * expected, ys[i]);
        }
    }

    [Theory]
    [InlineData(Activation.Relu, 5)]
    [InlineData(Activation.Relu, 300_007)]
    [InlineData(Activation.Sigmoid, 300_007)]
    [InlineData(Activation.Tanh, 300_007)]
    public void ActivationsMatchLoops(Activation kind, int length)
    {
        var rng = new Random(length);
        var x = GemmTests.Random(rng, length).Select(v => v * 4).ToArray();
        var dy = GemmTests.Random(rng, length);
        using var backend = new CpuBackend();
        using var xb = Upload(backend, x);
        using var y = backend.Allocate<float>(length);
        using var d = Upload(backend, dy);
        backend.ActivationForward(kind, xb, y);
        // dx may be dy: run in place.
        backend.ActivationBackward(kind, y, d, d);
        var ys = GemmTests.Download(backend, y);
        var dx = GemmTests.Download(backend, d);
        for (var i = 0; i < length; i++)
        {
            double expected = kind switch
            {
                Activation.Relu => Math.Max(0, x[i]),
                Activation.Sigmoid => 1 / (1 + Math.Exp(-x[i])),
                _ => Math.Tanh(x[i]),
            };
            Near(expected, ys[i], 1e-6, $"{kind} y[{i}]");
            double yi = ys[i];
            var grad = kind switch
            {
                Activation.Relu => yi > 0 ? dy[i] : 0,
                Activation.Sigmoid => dy[i] * yi * (1 - yi),
                _ => dy[i] * (1 - yi * yi),
            };
            Near(grad, dx[i], 1e-6, $"{kind} dx[{i}]");
        }
    }

    [Fact]
    public void RoundToHalfRoundsLikeHalf()
    {
        using var backend = new CpuBackend();
        var x = new[] { 0f, 1f, 1.0001f, 65504f, 70000f, -3.14159f, 1e-8f, float.NaN };
        using var xb = Upload(backend, x);
        backend.RoundToHalf(xb);
        var actual = GemmTests.Download(backend, xb);
        for (var i = 0; i < x.Length; i++) Assert.Equal((float)(Half)x[i], actual[i]);
    }

    [Theory]
    [InlineData(UpdateRule.Sgd, "optimizer_sgd")]
    [InlineData(UpdateRule.Momentum, "optimizer_momentum")]
    [InlineData(UpdateRule.Nesterov, "optimizer_nesterov")]
    [InlineData(UpdateRule.AdaGrad, "optimizer_adagrad")]
    [InlineData(UpdateRule.RmsProp, "optimizer_rmsprop")]
    [InlineData(UpdateRule.Adam, "optimizer_adam")]
    public void UpdateMatchesGolden(UpdateRule rule, string name)
    {
        var gold = Golden.Load(name);
        var p0 = gold.Input("p0");
        var grads = gold.Input("grads");
        var after = gold.Output("p_after_each_step");
        var lr = (float)gold.Param("lr");
        var decay = rule switch
        {
            UpdateRule.Momentum or UpdateRule.Nesterov => (float)gold.Param("momentum"),
            UpdateRule.RmsProp => (float)gold.Param("decay"),
            UpdateRule.Adam => (float)gold.Param("beta1"),
            _ => 0f,
        };
        var decay2 = rule == UpdateRule.Adam ? (float)gold.Param("beta2") : 0f;
        using var backend = new CpuBackend();
        using var p = Upload(backend, p0);
        using var g = backend.Allocate<float>(p0.Length);
        using var s1 = backend.Allocate<float>(p0.Length);
        using var s2 = backend.Allocate<float>(p0.Length);
        for (var t = 1; t <= 3; t++)
        {
            backend.Upload<float>(grads.AsSpan((t - 1) * p0.Length, p0.Length), g);
            var stepLr = rule == UpdateRule.Adam ? lr * MathF.Sqrt(1f - MathF.Pow(decay2, t)) / (1f - MathF.Pow(decay, t)) : lr;
            backend.ApplyUpdate(rule, new UpdateHyper(stepLr, decay, decay2, 1e-7f), new UpdateBuffers
            {
                Parameters = p, Gradients = g, FirstState = rule == UpdateRule.Sgd ? default : s1.View,
                SecondState = rule == UpdateRule.Adam ? s2.View : default,
            });
            AssertClose(after.AsSpan((t - 1) * p0.Length, p0.Length).ToArray(), GemmTests.Download(backend, p), 1e-5, $"{rule} step {t}");
        }
    }

    [Theory]
    [InlineData(UpdateRule.Sgd)]
    [InlineData(UpdateRule.Momentum)]
    [InlineData(UpdateRule.Nesterov)]
    [InlineData(UpdateRule.AdaGrad)]
    [InlineData(UpdateRule.RmsProp)]
    [InlineData(UpdateRule.Adam)]
    public void UpdateMatchesLoopsOnLongBuffers(UpdateRule rule)
    {
        // Long enough for the vector body, the scalar tail and several workers.
        const int length = 200_003;
        var rng = new Random(7);
        var p = GemmTests.Random(rng, length);
        var g = GemmTests.Random(rng, length);
        var h = GemmTests.Random(rng, length).Select(Math.Abs).ToArray();
        var v = GemmTests.Random(rng, length).Select(Math.Abs).ToArray();
        var hyper = new UpdateHyper(0.01f, 0.9f, 0.999f, 1e-7f);
        using var backend = new CpuBackend();
        using var pb = Upload(backend, p);
        using var gb = Upload(backend, g);
        using var s1 = Upload(backend, h);
        using var s2 = Upload(backend, v);
        backend.ApplyUpdate(rule, hyper, new UpdateBuffers { Parameters = pb, Gradients = gb, FirstState = s1, SecondState = s2 });
        var actual = GemmTests.Download(backend, pb);
        var actualS1 = GemmTests.Download(backend, s1);
        double lr = hyper.LearningRate, d = hyper.Decay, d2 = hyper.Decay2, eps = hyper.Epsilon;
        for (var i = 0; i < length; i++)
        {
            double pi = p[i], gi = g[i], a = h[i], b = v[i];
            switch (rule)
            {
                case UpdateRule.Sgd: pi -= lr * gi; break;
                case UpdateRule.Momentum: a = d * a - lr * gi; pi += a; break;
                case UpdateRule.Nesterov: a = d * a - lr * gi; pi += d * d * a - (1 + d) * lr * gi; break;
                case UpdateRule.AdaGrad: a += gi * gi; pi -= lr * gi / (Math.Sqrt(a) + eps); break;
                case UpdateRule.RmsProp: a = d * a + (1 - d) * gi * gi; pi -= lr * gi / (Math.Sqrt(a) + eps); break;
                case UpdateRule.Adam:
                    a += (1 - d) * (gi - a);
                    b += (1 - d2) * (gi * gi - b);
                    pi -= lr * a / (Math.Sqrt(b) + eps);
                    break;
            }
            Near(pi, actual[i], 1e-5, $"{rule} p[{i}]");
            if (rule != UpdateRule.Sgd) Near(a, actualS1[i], 1e-5, $"{rule} s1[{i}]");
        }
    }

    [Fact]
    public void AugmentWithNoDistortionCopies()
    {
        using var backend = new CpuBackend();
        var x = GemmTests.Random(new Random(1), 3 * 2 * 5 * 4);
        using var xb = Upload(backend, x);
        using var y = backend.Allocate<float>(x.Length);
        backend.Augment(xb, y, 3, 2, 5, 4, new AugmentOptions(0f, 0f, 0f), 9, 0);
        AssertClose(x.Select(v => (double)v).ToArray(), GemmTests.Download(backend, y), 1e-6, "identity");
    }

    [Fact]
    public void AugmentFollowsTheDocumentedTransform()
    {
        const int batch = 4, channels = 2, height = 9, width = 7;
        var options = new AugmentOptions(2f, 15f, 0.2f);
        const ulong seed = 11, counter = 3;
        var x = GemmTests.Random(new Random(2), batch * channels * height * width);
        using var backend = new CpuBackend();
        using var xb = Upload(backend, x);
        using var y = backend.Allocate<float>(x.Length);
        backend.Augment(xb, y, batch, channels, height, width, options, seed, counter);
        var actual = GemmTests.Download(backend, y);
        for (var n = 0; n < batch; n++)
        {
            var bits = CounterRng.Next(seed, counter * batch + (ulong)n);
            double U(int k) => ((bits >> (16 * k)) & 0xFFFF) / 65536.0;
            double tx = (2 * U(0) - 1) * options.MaxShift, ty = (2 * U(1) - 1) * options.MaxShift;
            var angle = (2 * U(2) - 1) * options.MaxRotationDegrees * Math.PI / 180;
            var scale = 1 + (2 * U(3) - 1) * options.MaxScale;
            double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
            for (var c = 0; c < channels; c++)
            for (var oy = 0; oy < height; oy++)
            for (var ox = 0; ox < width; ox++)
            {
                // Forward map: out = R(angle)·scale·(src − centre) + centre + shift; sample the source bilinearly.
                double ux = ox - cx - tx, uy = oy - cy - ty;
                var sx = (Math.Cos(angle) * ux + Math.Sin(angle) * uy) / scale + cx;
                var sy = (-Math.Sin(angle) * ux + Math.Cos(angle) * uy) / scale + cy;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                double P(int px, int py) => px >= 0 && px < width && py >= 0 && py < height ? x[((n * channels + c) * height + py) * width + px] : 0;
                var expected = (1 - fy) * ((1 - fx) * P(x0, y0) + fx * P(x0 + 1, y0)) + fy * ((1 - fx) * P(x0, y0 + 1) + fx * P(x0 + 1, y0 + 1));
                Near(expected, actual[((n * channels + c) * height + oy) * width + ox], 1e-4, $"image {n} ({ox}, {oy})");
            }
        }
    }

    private static DeviceBuffer<float> Upload(CpuBackend backend, float[] data)
    {
        var buffer = backend.Allocate<float>(data.Length);
        backend.Upload<float>(data, buffer);
        return buffer;
    }

    private static void Near(double expected, float actual, double tolerance, string what)
    {
        if (!(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected))))
        {
            Assert.Fail($"{what}: {actual}, expected {expected}");
        }
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Near(expected[i], actual[i], tolerance, $"{what}[{i}]");
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what) =>
        AssertClose(expected.Select(v => (double)v).ToArray(), actual, tolerance, what);
}
