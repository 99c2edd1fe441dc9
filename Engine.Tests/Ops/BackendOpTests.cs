using DeepGpu.Backends;
using DeepGpu.Diagnostics;
using DeepGpu.Kernels;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>
/// Every backend op against the scalar <see cref="Reference"/> (shapes that are not tile multiples, batch and
/// rows of 1), plus the golden files of Engine.Tests/Golden. One subclass per backend; the GPU ones skip
/// visibly without a device.
/// </summary>
public abstract partial class BackendOpTests(Backend backend) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    protected Backend Backend { get; } = backend;

    /// <summary>True on slow backends (ILGPU's CPU simulator): the big shapes of a few tests are trimmed.</summary>
    protected virtual bool ShortShapes => false;

    /// <summary>Multiplies tolerances (GPU fast math: approximate exp, tanh, FMA contraction).</summary>
    protected virtual float Relaxation => 1f;

    public void Dispose()
    {
        // Newest first: buffers before a backend the test made for itself.
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        GC.SuppressFinalize(this);
        // An out-of-bounds index in a kernel on the simulator fails the test that ran it.
        KernelAssertions.ThrowIfAny();
    }

    // ---- plumbing -----------------------------------------------------------------------------------

    /// <summary>Disposed with the test.</summary>
    protected T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    protected DeviceBuffer<T> Up<T>(T[] data) where T : unmanaged => Up(Backend, data);

    protected DeviceBuffer<T> Up<T>(Backend on, T[] data) where T : unmanaged
    {
        var buffer = Own(on.Allocate<T>(data.Length));
        on.Upload<T>(data, buffer);
        return buffer;
    }

    protected DeviceBuffer<T> Zeros<T>(int length) where T : unmanaged => Own(Backend.Allocate<T>(length));

    protected T[] Down<T>(BufferView<T> view) where T : unmanaged => Down(Backend, view);

    protected static T[] Down<T>(Backend on, BufferView<T> view) where T : unmanaged
    {
        var result = new T[view.Length];
        on.Download(view, result);
        return result;
    }

    /// <summary>The shared comparison, with the tolerances scaled by <see cref="Relaxation"/>.</summary>
    protected void Close(float[] expected, float[] actual, double relative = 1e-5, double absolute = 1e-6, string what = "") =>
        Expect.Close(expected, actual, relative * Relaxation, absolute * Relaxation, what);

    protected void Close(double expected, double actual, double relative = 1e-5, double absolute = 1e-6, string what = "") =>
        Close([(float)expected], [(float)actual], relative, absolute, what);

    // ---- the cases deepgpu check runs -------------------------------------------------------------------

    public static TheoryData<string> CheckCases => new(OpCases.All.Select(c => c.Name));

    /// <summary>Each case of <see cref="OpCases"/> (what <c>deepgpu check</c> runs) against its reference.</summary>
    [OpTheory]
    [MemberData(nameof(CheckCases))]
    public void CheckCaseMatchesReference(string name) => Check(OpCases.All.Single(c => c.Name == name));

    /// <summary>Runs <paramref name="op"/> on <paramref name="on"/> (this test's backend by default) and compares every output.</summary>
    protected void Check(OpCase op, Backend? on = null)
    {
        var outputs = op.RunOn(on ?? Backend);
        for (var i = 0; i < outputs.Length; i++) Close(outputs[i].Expected, outputs[i].Actual, op.Relative, op.Absolute, $"{op.Name}, output {i}");
    }

    // ---- memory and element-wise ------------------------------------------------------------------------

    [OpFact]
    public void UploadDownloadRoundTripsAndAllocateZeroes()
    {
        var data = TestArrays.Uniform(37, 1);
        Close(data, Down<float>(Up(data)));
        Assert.All(Down<float>(Zeros<float>(13)), v => Assert.Equal(0f, v));
        var ints = new[] { 3, -1, int.MaxValue };
        Assert.Equal(ints, Down<int>(Up(ints)));
        var bytes = new byte[] { 0, 7, 255 };
        Assert.Equal(bytes, Down<byte>(Up(bytes)));
        var part = Up(new float[] { 1, 2, 3, 4, 5 });
        Backend.Upload<float>(new float[] { 9, 8 }, part.Slice(2, 2));
        Assert.Equal(new float[] { 1, 2, 9, 8, 5 }, Down<float>(part));
        Assert.Equal(new float[] { 2, 9 }, Down(part.Slice(1, 2)));
    }

    // ---- GEMM ---------------------------------------------------------------------------------------

    [OpFact]
    public void GemmWritesOnlyCsView()
    {
        const int m = 3, n = 5, k = 2;
        var a = TestArrays.Uniform(m * k, 3);
        var b = TestArrays.Uniform(k * n, 4);
        var big = Up(Enumerable.Repeat(7f, m * n + 4).ToArray());
        Backend.Gemm(false, false, m, n, k, 1f, Up(a), Up(b), 0f, big.Slice(2, m * n));
        var result = Down<float>(big);
        Assert.Equal(7f, result[0]);
        Assert.Equal(7f, result[1]);
        Assert.Equal(7f, result[^1]);
        Assert.Equal(7f, result[^2]);
        Close(Reference.Gemm(false, false, m, n, k, 1f, a, b, 0f, new float[m * n]), result[2..^2], 1e-5, 1e-5);
    }

    // ---- bias and activations ------------------------------------------------------------------------

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(5, 7)]
    [InlineData(37, 3)]
    public void AddBiasAndBiasGradient(int rows, int cols)
    {
        var x0 = TestArrays.Uniform(rows * cols, 7);
        var bias = TestArrays.Uniform(cols, 8);
        var x = Up(x0);
        Backend.AddBias(x, Up(bias), rows, cols);
        Close(Reference.AddBias(x0, bias, rows, cols), Down<float>(x));

        var db = Up(TestArrays.Uniform(cols, 9));
        Backend.BiasGradient(Up(x0), db, rows, cols);
        Close(Reference.BiasGradient(x0, rows, cols), Down<float>(db), 1e-5, 1e-5);
    }

    [OpTheory]
    [InlineData(Activation.Relu, 1)]
    [InlineData(Activation.Relu, 29)]
    [InlineData(Activation.Sigmoid, 1)]
    [InlineData(Activation.Sigmoid, 29)]
    [InlineData(Activation.Tanh, 1)]
    [InlineData(Activation.Tanh, 29)]
    public void ActivationForwardAndBackward(Activation kind, int n)
    {
        var x0 = TestArrays.Uniform(n, 11, -3f, 3f);
        var dy0 = TestArrays.Uniform(n, 12);
        var y = Zeros<float>(n);
        Backend.ActivationForward(kind, Up(x0), y);
        var yRef = Reference.ActivationForward(kind, x0);
        Close(yRef, Down<float>(y), 1e-5, 1e-6);

        var dx = Zeros<float>(n);
        Backend.ActivationBackward(kind, Up(yRef), Up(dy0), dx);
        Close(Reference.ActivationBackward(kind, yRef, dy0), Down<float>(dx), 1e-5, 1e-6);

        // In place: y may be x and dx may be dy.
        var inPlace = Up(x0);
        Backend.ActivationForward(kind, inPlace, inPlace);
        Close(yRef, Down<float>(inPlace), 1e-5, 1e-6);
        var grad = Up(dy0);
        Backend.ActivationBackward(kind, Up(yRef), grad, grad);
        Close(Reference.ActivationBackward(kind, yRef, dy0), Down<float>(grad), 1e-5, 1e-6);
    }

    // ---- softmax and losses ---------------------------------------------------------------------------

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(3, 10)]
    [InlineData(2, 37)]
    public void SoftmaxRows(int rows, int cols)
    {
        var x = TestArrays.Uniform(rows * cols, 13, -5f, 5f);
        x[0] = 40f; // a large logit: the row maximum must be subtracted first
        var y = Zeros<float>(rows * cols);
        Backend.Softmax(Up(x), y, rows, cols);
        Close(Reference.Softmax(x, rows, cols), Down<float>(y), 1e-5, 1e-7);
    }

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(1, 10)]
    [InlineData(7, 10)]
    [InlineData(3, 37)]
    public void SoftmaxCrossEntropyForwardAndBackward(int rows, int cols)
    {
        var logits = TestArrays.Uniform(rows * cols, 14, -4f, 4f);
        var labels = Enumerable.Range(0, rows).Select(r => (r * 7 + 3) % cols).ToArray();
        var (pRef, lossRef) = Reference.SoftmaxCrossEntropy(logits, labels, rows, cols);
        var p = Zeros<float>(rows * cols);
        var loss = Up(new float[] { 0.5f });
        var labelBuffer = Up(labels);
        Backend.SoftmaxCrossEntropy(Up(logits), labelBuffer, p, loss, rows, cols);
        Close(pRef, Down<float>(p), 1e-5, 1e-7);
        Close(0.5 + lossRef, Down<float>(loss)[0], 1e-5);

        var d = Zeros<float>(rows * cols);
        Backend.SoftmaxCrossEntropyBackward(Up(pRef), labelBuffer, d, rows, cols);
        Close(Reference.SoftmaxCrossEntropyBackward(pRef, labels, rows, cols), Down<float>(d), 1e-5, 1e-7);
    }

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(4, 10)]
    [InlineData(9, 3)]
    public void SumSquaredErrorForwardAndBackward(int rows, int cols)
    {
        var y = TestArrays.Uniform(rows * cols, 15);
        var t = TestArrays.Uniform(rows * cols, 16);
        var loss = Up(new float[] { 2f });
        Backend.SumSquaredError(Up(y), Up(t), loss, rows, cols);
        Close(2 + Reference.SumSquaredError(y, t, rows, cols), Down<float>(loss)[0], 1e-5);
        var dy = Zeros<float>(rows * cols);
        Backend.SumSquaredErrorBackward(Up(y), Up(t), dy, rows, cols);
        Close(Reference.SumSquaredErrorBackward(y, t, rows, cols), Down<float>(dy));
    }

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(6, 10)]
    public void OneHotRows(int rows, int cols)
    {
        var labels = Enumerable.Range(0, rows).Select(r => (r * 3 + 1) % cols).ToArray();
        var t = Up(TestArrays.Uniform(rows * cols, 17));
        Backend.OneHot(Up(labels), t, rows, cols);
        Assert.Equal(Reference.OneHot(labels, rows, cols), Down<float>(t));
    }

    [OpFact]
    public void CountCorrectTakesFirstMaximumOnTies()
    {
        const int rows = 5, cols = 4;
        float[] scores =
        [
            0.1f, 0.9f, 0.3f, 0.2f,   // arg-max 1
            0.5f, 0.5f, 0.1f, 0.0f,   // tie: first, 0
            0.0f, 0.0f, 0.0f, 0.7f,   // 3
            0.2f, 0.8f, 0.8f, 0.1f,   // tie: 1
            1.0f, 0.0f, 0.0f, 0.0f,   // 0
        ];
        int[] labels = [1, 1, 3, 1, 2];
        var counter = Up(new float[] { 10f });
        Backend.CountCorrect(Up(scores), Up(labels), counter, rows, cols);
        Assert.Equal(10f + Reference.CountCorrect(scores, labels, rows, cols), Down<float>(counter)[0]);
        Assert.Equal(3, Reference.CountCorrect(scores, labels, rows, cols));

        var single = Up(new float[] { 0f });
        Backend.CountCorrect(Up(new float[] { 3f }), Up(new[] { 0 }), single, 1, 1);
        Assert.Equal(1f, Down<float>(single)[0]);
    }

    // ---- data ---------------------------------------------------------------------------------------

    [OpTheory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    public void GatherBatchScalesAndPermutes(int count, int sampleLength)
    {
        const int samples = 6;
        var images = new byte[samples * sampleLength];
        for (var i = 0; i < images.Length; i++) images[i] = (byte)(i * 37 % 256);
        var labels = new byte[] { 5, 1, 4, 9, 0, 2 };
        int[] order = [4, 2, 5, 0, 3, 1];
        const int start = 2;
        var x = Zeros<float>(count * sampleLength);
        var y = Zeros<int>(count);
        Backend.GatherBatch(new GatherBatchArgs
        {
            Images = Up(images), Labels = Up(labels), Order = Up(order), Start = start, Count = count, SampleLength = sampleLength,
            Scale = 1f / 255f, X = x, Y = y,
        });
        var (xRef, yRef) = Reference.GatherBatch(images, labels, order, start, count, sampleLength, 1f / 255f);
        Close(xRef, Down<float>(x));
        Assert.Equal(yRef, Down<int>(y));
    }

    [OpFact]
    public void AugmentWithZeroRangesIsIdentity()
    {
        const int n = 2, c = 2, h = 5, w = 6;
        var x = TestArrays.Uniform(n * c * h * w, 18);
        var y = Zeros<float>(x.Length);
        Backend.Augment(Up(x), y, n, c, h, w, new AugmentOptions(0f, 0f, 0f), 42, 3);
        Close(x, Down<float>(y), 0, 1e-6);
    }

    [OpFact]
    public void AugmentShiftOnlyMovesTheImage()
    {
        const int n = 3, c = 1, h = 7, w = 8;
        // A bright square in the middle: the shifted copy keeps its mass but moves its centre by the drawn shift.
        var x = new float[n * c * h * w];
        for (var i = 0; i < n; i++)
        {
            for (var r = 2; r <= 4; r++)
            {
                for (var q = 3; q <= 5; q++) x[(i * h + r) * w + q] = 1f;
            }
        }
        var options = new AugmentOptions(MaxShift: 1.5f, MaxRotationDegrees: 0f, MaxScale: 0f);
        var y = Zeros<float>(x.Length);
        Backend.Augment(Up(x), y, n, c, h, w, options, 7, 11);
        var actual = Down<float>(y);
        Close(Reference.Augment(x, n, c, h, w, options, 7, 11), actual, 1e-5, 1e-5);
        for (var i = 0; i < n; i++)
        {
            var (tx, ty, _, _) = Reference.AugmentTransform(options, 7, 11, n, i);
            double mass = 0, mx = 0, my = 0;
            for (var r = 0; r < h; r++)
            {
                for (var q = 0; q < w; q++)
                {
                    var v = actual[(i * h + r) * w + q];
                    mass += v;
                    mx += v * q;
                    my += v * r;
                }
            }
            Assert.InRange(mass, 9 - 1e-3, 9 + 1e-3);
            Assert.InRange(mx / mass - 4.0, tx - 1e-3, tx + 1e-3);
            Assert.InRange(my / mass - 3.0, ty - 1e-3, ty + 1e-3);
        }
    }

    [OpTheory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 3, 4, 7)]
    [InlineData(2, 2, 6, 5)]
    public void AugmentMatchesReference(int n, int c, int h, int w)
    {
        var x = TestArrays.Uniform(n * c * h * w, 19);
        var options = new AugmentOptions(2f, 15f, 0.2f);
        var y = Zeros<float>(x.Length);
        Backend.Augment(Up(x), y, n, c, h, w, options, 99, 5);
        Close(Reference.Augment(x, n, c, h, w, options, 99, 5), Down<float>(y), 1e-4, 1e-4);
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    [OpTheory]
    [InlineData(UpdateRule.Sgd, 1)]
    [InlineData(UpdateRule.Sgd, 23)]
    [InlineData(UpdateRule.Momentum, 23)]
    [InlineData(UpdateRule.Nesterov, 23)]
    [InlineData(UpdateRule.AdaGrad, 23)]
    [InlineData(UpdateRule.RmsProp, 23)]
    [InlineData(UpdateRule.Adam, 1)]
    [InlineData(UpdateRule.Adam, 23)]
    public void ApplyUpdateThreeSteps(UpdateRule rule, int n)
    {
        var p = TestArrays.Uniform(n, 20);
        var firstState = new float[n];
        var secondState = new float[n];
        var pBuffer = Up(p);
        var firstBuffer = Zeros<float>(n);
        var secondBuffer = Zeros<float>(n);
        for (var step = 1; step <= 3; step++)
        {
            var g = TestArrays.Uniform(n, 30 + step);
            var hyper = rule switch
            {
                UpdateRule.Momentum or UpdateRule.Nesterov => new UpdateHyper(0.05f, 0.9f),
                UpdateRule.RmsProp => new UpdateHyper(0.01f, 0.99f),
                UpdateRule.Adam => new UpdateHyper((float)(0.01 * Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step))), 0.9f, 0.999f),
                _ => new UpdateHyper(0.1f),
            };
            var stateless = rule == UpdateRule.Sgd;
            Backend.ApplyUpdate(rule, hyper, new UpdateBuffers
            {
                Parameters = pBuffer, Gradients = Up(g), FirstState = stateless ? default : firstBuffer.View,
                SecondState = rule == UpdateRule.Adam ? secondBuffer.View : default,
            });
            Reference.ApplyUpdate(rule, hyper, p, g, firstState, secondState);
        }
        Close(p, Down<float>(pBuffer), 1e-5, 1e-6, "p");
        if (rule != UpdateRule.Sgd) Close(firstState, Down<float>(firstBuffer), 1e-5, 1e-6, "first state");
        if (rule == UpdateRule.Adam) Close(secondState, Down<float>(secondBuffer), 1e-5, 1e-7, "second state");
    }

    // ---- pooling --------------------------------------------------------------------------------------

    public static IEnumerable<object[]> PoolingCases()
    {
        foreach (var mode in new[] { PoolingMode.Max, PoolingMode.Average })
        {
            // (N, C, H, W, size, stride, pad)
            yield return [mode, 1, 1, 1, 1, 1, 1, 0];
            yield return [mode, 2, 3, 6, 6, 2, 2, 0];
            yield return [mode, 1, 2, 7, 5, 3, 2, 0];
            yield return [mode, 2, 1, 5, 7, 3, 2, 1];
            yield return [mode, 3, 4, 9, 9, 3, 1, 1];
            yield return [mode, 1, 2, 8, 8, 2, 3, 0];
            // The book's 2x2 stride 2 windows (the cpu backend's SIMD rows: 8 + 4 outputs, an odd width).
            yield return [mode, 2, 3, 24, 24, 2, 2, 0];
            yield return [mode, 2, 3, 40, 37, 2, 2, 0];
        }
    }

    [OpTheory]
    [MemberData(nameof(PoolingCases))]
    public void PoolingForwardAndBackward(PoolingMode mode, int n, int c, int h, int w, int size, int stride, int pad)
    {
        var g = new PoolingGeometry(n, c, h, w, size, stride, pad);
        // Whole numbers in [-4, 4): many windows hold ties, and the first maximum (row-major) must win them.
        var x = Array.ConvertAll(TestArrays.Uniform(g.InputLength, 50, -4f, 4f), MathF.Floor);
        var dy = TestArrays.Uniform(g.OutputLength, 51);
        var y = Zeros<float>(g.OutputLength);
        var argmax = Zeros<int>(g.OutputLength);
        Backend.PoolingForward(mode, g, Up(x), y, argmax);
        var (yRef, argRef) = Reference.PoolingForward(mode, g, x);
        Close(yRef, Down<float>(y), 1e-5, 1e-6, "y");
        if (mode == PoolingMode.Max) Assert.Equal(argRef, Down<int>(argmax));

        var dx = Up(TestArrays.Uniform(g.InputLength, 52));
        Backend.PoolingBackward(mode, g, Up(dy), argmax, dx);
        Close(Reference.PoolingBackward(mode, g, dy, argRef), Down<float>(dx), 1e-5, 1e-6, "dx");
    }

    // ---- batch normalisation, dropout, precision ----------------------------------------------------

    [OpTheory]
    [InlineData(1, 3, 1)]
    [InlineData(6, 5, 1)]
    [InlineData(3, 2, 9)]
    [InlineData(2, 3, 37)]
    [InlineData(24, 16, 49)]
    public void BatchNormTrainingInferenceAndBackward(int batch, int channels, int spatial)
    {
        var g = new NormalizationGeometry(batch, channels, spatial);
        var x = TestArrays.Uniform(g.Length, 60, -2f, 3f);
        var gamma = TestArrays.Uniform(channels, 61, 0.5f, 1.5f);
        var beta = TestArrays.Uniform(channels, 62);
        var rm0 = TestArrays.Uniform(channels, 63);
        var rv0 = TestArrays.Uniform(channels, 64, 0.5f, 2f);
        var dy = TestArrays.Uniform(g.Length, 65);
        const float momentum = 0.9f, eps = 1e-5f;

        var xb = Up(x);
        var gb = Up(gamma);
        var bb = Up(beta);
        var rm = Up(rm0);
        var rv = Up(rv0);
        var mean = Zeros<float>(channels);
        var invStd = Zeros<float>(channels);
        var y = Zeros<float>(g.Length);
        Backend.BatchNormForward(g, new BatchNormSettings { Training = true, Momentum = momentum, Epsilon = eps }, new BatchNormForwardBuffers
        {
            X = xb, Gamma = gb, Beta = bb, Y = y, RunningMean = rm, RunningVar = rv, SavedMean = mean, SavedInvStd = invStd,
        });
        var r = Reference.BatchNormForward(g, true, momentum, eps, x, gamma, beta, rm0, rv0);
        Close(r.Y, Down<float>(y), 1e-4, 1e-5, "y");
        Close(r.Mean, Down<float>(mean), 1e-5, 1e-6, "mean");
        Close(r.InvStd, Down<float>(invStd), 1e-4, 1e-5, "invStd");
        Close(r.RunningMean, Down<float>(rm), 1e-5, 1e-6, "runningMean");
        Close(r.RunningVar, Down<float>(rv), 1e-5, 1e-6, "runningVar");

        var dx = Zeros<float>(g.Length);
        var dgamma = Zeros<float>(channels);
        var dbeta = Zeros<float>(channels);
        Backend.BatchNormBackward(g, new BatchNormBackwardBuffers
        {
            X = xb, Gamma = gb, DY = Up(dy), SavedMean = Up(r.Mean), SavedInvStd = Up(r.InvStd), DX = dx, DGamma = dgamma, DBeta = dbeta,
        });
        var (dxRef, dgRef, dbRef) = Reference.BatchNormBackward(g, x, gamma, dy, r.Mean, r.InvStd);
        Close(dxRef, Down<float>(dx), 1e-4, 1e-4, "dx");
        Close(dgRef, Down<float>(dgamma), 1e-4, 1e-5, "dgamma");
        Close(dbRef, Down<float>(dbeta), 1e-5, 1e-5, "dbeta");

        // Inference uses the running statistics and leaves them and the saved ones alone.
        var yi = Zeros<float>(g.Length);
        var rmBefore = Down<float>(rm);
        var meanBefore = Down<float>(mean);
        Backend.BatchNormForward(g, new BatchNormSettings { Training = false, Momentum = momentum, Epsilon = eps }, new BatchNormForwardBuffers
        {
            X = xb, Gamma = gb, Beta = bb, Y = yi, RunningMean = rm, RunningVar = rv, SavedMean = mean, SavedInvStd = invStd,
        });
        var ri = Reference.BatchNormForward(g, false, momentum, eps, x, gamma, beta, r.RunningMean, r.RunningVar);
        Close(ri.Y, Down<float>(yi), 1e-4, 1e-5, "inference y");
        Assert.Equal(rmBefore, Down<float>(rm));
        Assert.Equal(meanBefore, Down<float>(mean));
    }

    [OpFact]
    public void DropoutMaskIsReproducibleAndMatchesCounterRng()
    {
        const float ratio = 0.3f;
        var n = ShortShapes ? 4096 : 20000;
        var x = TestArrays.Uniform(n, 70);
        var xb = Up(x);
        var y = Zeros<float>(n);
        var mask = Zeros<float>(n);
        Backend.DropoutForward(xb, y, mask, ratio, 1234, 77);
        var m = Down<float>(mask);
        var keep = 1f / (1f - ratio);
        Assert.All(m, v => Assert.True(v == 0f || v == keep, $"mask value {v}"));
        Assert.Equal(Reference.DropoutMask(n, ratio, 1234, 77), m);
        var dropped = m.Count(v => v == 0f) / (double)n;
        Assert.InRange(dropped, ratio - 0.03, ratio + 0.03);
        var yv = Down<float>(y);
        for (var i = 0; i < n; i++) Assert.Equal(x[i] * m[i], yv[i]);

        var mask2 = Zeros<float>(n);
        Backend.DropoutForward(xb, Zeros<float>(n), mask2, ratio, 1234, 77);
        Assert.Equal(m, Down<float>(mask2));
        var mask3 = Zeros<float>(n);
        Backend.DropoutForward(xb, Zeros<float>(n), mask3, ratio, 1234, 78);
        Assert.NotEqual(m, Down<float>(mask3));
        // Counter + 1 shifts the stream by one element.
        Assert.Equal(m[1..], Down<float>(mask3)[..^1]);
    }

    [OpFact]
    public void DropoutOfOneElementAndRatioZero()
    {
        var x = Up(new[] { 1.5f });
        var y = Zeros<float>(1);
        var mask = Zeros<float>(1);
        Backend.DropoutForward(x, y, mask, 0.5f, 5, 9);
        var expected = Reference.DropoutMask(1, 0.5f, 5, 9)[0];
        Assert.Equal(expected, Down<float>(mask)[0]);
        Assert.Equal(1.5f * expected, Down<float>(y)[0]);

        var n = 33;
        var all = Zeros<float>(n);
        var keepAll = Zeros<float>(n);
        Backend.DropoutForward(Up(TestArrays.Uniform(n, 74)), all, keepAll, 0f, 5, 9);
        Assert.All(Down<float>(keepAll), v => Assert.Equal(1f, v));
    }

    [OpFact]
    public void RoundToHalfMatchesSystemHalf()
    {
        float[] special =
        [
            0f, -0f, 1f, -1f, 0.1f, 1f / 3f, 65504f, 65519.99f, 65520f, -65520f, 1e6f, 6.1e-5f, 6.0e-5f, 5.96e-8f, 2.98e-8f,
            2.99e-8f, 1e-9f, -3e-6f, 1.00048828125f, 1.00146484375f, 2049f, 2051f, float.PositiveInfinity, float.NegativeInfinity,
            float.Epsilon, 3.0517578e-5f, 6.1035156e-5f, 6.1034e-5f,
        ];
        var values = special.Concat(TestArrays.Uniform(500, 71, -70000f, 70000f)).Concat(TestArrays.Uniform(300, 72, -1e-4f, 1e-4f)).Concat(TestArrays.Uniform(200, 73, -4f, 4f)).ToArray();
        var x = Up(values);
        Backend.RoundToHalf(x);
        var actual = Down<float>(x);
        var expected = Reference.RoundToHalf(values);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"RoundToHalf({values[i]:R}) = {actual[i]:R}, expected {expected[i]:R}");
        }
        var nan = Up(new[] { float.NaN });
        Backend.RoundToHalf(nan);
        var rounded = Down<float>(nan)[0];
        Assert.True(float.IsNaN(rounded), $"NaN rounded to {rounded}");
    }
}
