using DeepGpu.Backends;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

// Golden values computed outside DeepGpu (PyTorch in float64, the book's optimizer rules): they catch an error a
// kernel and a reference written by the same hand would share. Tolerance about 1e-5 relative, 1e-4 for reductions.
public abstract partial class BackendOpTests
{
    [OpFact]
    public void GoldenAffine()
    {
        var gd = GoldenData.Load("affine");
        var x = gd.In("x");
        var w = gd.In("W");
        int n = x.Dim(0), din = x.Dim(1), dout = w.Dim(1);
        var xb = Up(x.Floats);
        var wb = Up(w.Floats);
        var y = Up(new float[n * dout]);
        Backend.Gemm(false, false, n, dout, din, 1f, xb, wb, 0f, y);
        Backend.AddBias(y, Up(gd.In("b").Floats), n, dout);
        Close(gd.Out("y").Floats, Down<float>(y), 1e-5, 1e-6, "y");

        var dy = Up(gd.In("dy").Floats);
        var dx = Zeros<float>(n * din);
        Backend.Gemm(false, true, n, din, dout, 1f, dy, wb, 0f, dx);   // dx = dy·Wᵀ
        Close(gd.Out("dx").Floats, Down<float>(dx), 1e-5, 1e-6, "dx");
        var dw = Zeros<float>(din * dout);
        Backend.Gemm(true, false, din, dout, n, 1f, xb, dy, 0f, dw);   // dW = xᵀ·dy
        Close(gd.Out("dW").Floats, Down<float>(dw), 1e-5, 1e-6, "dW");
        var db = Zeros<float>(dout);
        Backend.BiasGradient(dy, db, n, dout);
        Close(gd.Out("db").Floats, Down<float>(db), 1e-5, 1e-6, "db");

        // The fused op the affine layer runs gives the same values.
        var g = new AffineGeometry(n, din, dout);
        var fused = Zeros<float>(n * dout);
        Backend.AffineForward(g, null, new AffineForwardBuffers { X = xb, W = wb, B = Up(gd.In("b").Floats), Y = fused });
        Close(gd.Out("y").Floats, Down<float>(fused), 1e-5, 1e-6, "fused y");
        var (fdx, fdw, fdb) = (Zeros<float>(n * din), Zeros<float>(din * dout), Zeros<float>(dout));
        Backend.AffineBackward(g, null, new AffineBackwardBuffers { X = xb, W = wb, DY = Up(gd.In("dy").Floats), DX = fdx, DW = fdw, DB = fdb });
        Close(gd.Out("dx").Floats, Down<float>(fdx), 1e-5, 1e-6, "fused dx");
        Close(gd.Out("dW").Floats, Down<float>(fdw), 1e-5, 1e-6, "fused dW");
        Close(gd.Out("db").Floats, Down<float>(fdb), 1e-5, 1e-6, "fused db");
    }

    [OpTheory]
    [InlineData("relu", Activation.Relu)]
    [InlineData("sigmoid", Activation.Sigmoid)]
    [InlineData("tanh", Activation.Tanh)]
    public void GoldenActivation(string file, Activation kind)
    {
        var gd = GoldenData.Load(file);
        var n = gd.In("x").Data.Length;
        var y = Zeros<float>(n);
        Backend.ActivationForward(kind, Up(gd.In("x").Floats), y);
        Close(gd.Out("y").Floats, Down<float>(y), 1e-5, 1e-6, "y");
        var dx = Zeros<float>(n);
        Backend.ActivationBackward(kind, y, Up(gd.In("dy").Floats), dx);
        Close(gd.Out("dx").Floats, Down<float>(dx), 1e-5, 1e-6, "dx");
    }

    [OpFact]
    public void GoldenSoftmaxCrossEntropy()
    {
        var gd = GoldenData.Load("softmax_cross_entropy");
        var logits = gd.In("logits");
        int rows = logits.Dim(0), cols = logits.Dim(1);
        var labels = Up(gd.In("labels").Ints);
        var p = Zeros<float>(rows * cols);
        var loss = Zeros<float>(1);
        Backend.SoftmaxCrossEntropy(Up(logits.Floats), labels, p, loss, rows, cols);
        Close(gd.Out("probabilities").Floats, Down<float>(p), 1e-5, 1e-7, "probabilities");
        Close(gd.Out("loss").Data[0], Down<float>(loss)[0], 1e-5, 0, "loss");
        var d = Zeros<float>(rows * cols);
        Backend.SoftmaxCrossEntropyBackward(p, labels, d, rows, cols);
        Close(gd.Out("dlogits").Floats, Down<float>(d), 1e-5, 1e-7, "dlogits");
    }

    [OpFact]
    public void GoldenSumSquared()
    {
        var gd = GoldenData.Load("sum_squared");
        var yt = gd.In("y");
        int rows = yt.Dim(0), cols = yt.Dim(1);
        var y = Up(yt.Floats);
        var t = Up(gd.In("t").Floats);
        var loss = Zeros<float>(1);
        Backend.SumSquaredError(y, t, loss, rows, cols);
        Close(gd.Out("loss").Data[0], Down<float>(loss)[0], 1e-5, 0, "loss");
        var dy = Zeros<float>(rows * cols);
        Backend.SumSquaredErrorBackward(y, t, dy, rows, cols);
        Close(gd.Out("dy").Floats, Down<float>(dy), 1e-5, 1e-7, "dy");
    }

    [OpTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void GoldenConvolution(int index)
    {
        var gd = GoldenData.Load($"convolution_{index}");
        var x = gd.In("x");
        var w = gd.In("W");
        var g = new ConvolutionGeometry(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), w.Dim(0), w.Dim(2), w.Dim(3),
            gd.IntParam("stride"), gd.IntParam("pad"));
        var workspace = Zeros<float>((int)Math.Max(1, Backend.ConvolutionWorkspaceLength(g)));
        var xb = Up(x.Floats);
        var wb = Up(w.Floats);
        var y = Zeros<float>(g.OutputLength);
        Backend.ConvolutionForward(g, new ConvolutionForwardBuffers { X = xb, W = wb, B = Up(gd.In("b").Floats), Y = y, Workspace = workspace });
        Close(gd.Out("y").Floats, Down<float>(y), 1e-5, 1e-5, "y");
        var dx = Zeros<float>(g.InputLength);
        var dw = Zeros<float>(g.WeightLength);
        var db = Zeros<float>(g.Filters);
        Backend.ConvolutionBackward(g, new ConvolutionBackwardBuffers
        {
            X = xb, W = wb, DY = Up(gd.In("dy").Floats), DX = dx, DW = dw, DB = db, Workspace = workspace,
        });
        Close(gd.Out("dx").Floats, Down<float>(dx), 1e-5, 1e-5, "dx");
        Close(gd.Out("dW").Floats, Down<float>(dw), 1e-4, 1e-5, "dW");
        Close(gd.Out("db").Floats, Down<float>(db), 1e-4, 1e-5, "db");
    }

    [OpTheory]
    [InlineData("pooling_max_0")]
    [InlineData("pooling_max_1")]
    [InlineData("pooling_average_2")]
    [InlineData("pooling_average_3")]
    public void GoldenPooling(string file)
    {
        var gd = GoldenData.Load(file);
        var x = gd.In("x");
        var mode = gd.StringParam("mode") == "max" ? PoolingMode.Max : PoolingMode.Average;
        var g = new PoolingGeometry(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), gd.IntParam("size"), gd.IntParam("stride"), gd.IntParam("pad"));
        var y = Zeros<float>(g.OutputLength);
        var argmax = Zeros<int>(g.OutputLength);
        Backend.PoolingForward(mode, g, Up(x.Floats), y, argmax);
        Close(gd.Out("y").Floats, Down<float>(y), 1e-5, 1e-6, "y");
        var dx = Zeros<float>(g.InputLength);
        Backend.PoolingBackward(mode, g, Up(gd.In("dy").Floats), argmax, dx);
        Close(gd.Out("dx").Floats, Down<float>(dx), 1e-5, 1e-6, "dx");
    }

    [OpTheory]
    [InlineData(0)]
    [InlineData(1)]
    public void GoldenBatchNorm(int index)
    {
        var gd = GoldenData.Load($"batchnorm_{index}");
        var x = gd.In("x");
        var channels = gd.In("gamma").Data.Length;
        var spatial = x.Shape.Skip(2).Aggregate(1, (a, b) => a * b);
        var g = new NormalizationGeometry(x.Dim(0), channels, spatial);
        var xb = Up(x.Floats);
        var gamma = Up(gd.In("gamma").Floats);
        var rm = Up(gd.In("running_mean").Floats);
        var rv = Up(gd.In("running_var").Floats);
        var mean = Zeros<float>(channels);
        var invStd = Zeros<float>(channels);
        var y = Zeros<float>(g.Length);
        var settings = new BatchNormSettings { Training = true, Momentum = gd.Param("momentum"), Epsilon = gd.Param("eps") };
        Backend.BatchNormForward(g, settings, new BatchNormForwardBuffers
        {
            X = xb, Gamma = gamma, Beta = Up(gd.In("beta").Floats), Y = y, RunningMean = rm, RunningVar = rv, SavedMean = mean,
            SavedInvStd = invStd,
        });
        Close(gd.Out("y").Floats, Down<float>(y), 1e-4, 1e-5, "y");
        Close(gd.Out("running_mean_after").Floats, Down<float>(rm), 1e-5, 1e-6, "running_mean");
        Close(gd.Out("running_var_after").Floats, Down<float>(rv), 1e-5, 1e-6, "running_var");
        var dx = Zeros<float>(g.Length);
        var dgamma = Zeros<float>(channels);
        var dbeta = Zeros<float>(channels);
        Backend.BatchNormBackward(g, new BatchNormBackwardBuffers
        {
            X = xb, Gamma = gamma, DY = Up(gd.In("dy").Floats), SavedMean = mean, SavedInvStd = invStd, DX = dx, DGamma = dgamma,
            DBeta = dbeta,
        });
        Close(gd.Out("dx").Floats, Down<float>(dx), 1e-4, 1e-4, "dx");
        Close(gd.Out("dgamma").Floats, Down<float>(dgamma), 1e-4, 1e-5, "dgamma");
        Close(gd.Out("dbeta").Floats, Down<float>(dbeta), 1e-4, 1e-5, "dbeta");
    }

    [OpTheory]
    [InlineData("optimizer_sgd", UpdateRule.Sgd)]
    [InlineData("optimizer_momentum", UpdateRule.Momentum)]
    [InlineData("optimizer_nesterov", UpdateRule.Nesterov)]
    [InlineData("optimizer_adagrad", UpdateRule.AdaGrad)]
    [InlineData("optimizer_rmsprop", UpdateRule.RmsProp)]
    [InlineData("optimizer_adam", UpdateRule.Adam)]
    public void GoldenOptimizer(string file, UpdateRule rule)
    {
        var gd = GoldenData.Load(file);
        var p0 = gd.In("p0").Floats;
        var grads = gd.In("grads").Floats;
        var expected = gd.Out("p_after_each_step").Floats;
        var n = p0.Length;
        var p = Up(p0);
        var firstState = Zeros<float>(n);
        var secondState = Zeros<float>(n);
        var lr = gd.Param("lr");
        var eps = gd.Params.TryGetProperty("eps", out var e) ? (float)e.GetDouble() : 1e-7f;
        for (var t = 1; t <= 3; t++)
        {
            var hyper = rule switch
            {
                UpdateRule.Momentum or UpdateRule.Nesterov => new UpdateHyper(lr, gd.Param("momentum")),
                UpdateRule.RmsProp => new UpdateHyper(lr, gd.Param("decay"), 0f, eps),
                UpdateRule.Adam => new UpdateHyper(
                    (float)(lr * Math.Sqrt(1 - Math.Pow(gd.Param("beta2"), t)) / (1 - Math.Pow(gd.Param("beta1"), t))),
                    gd.Param("beta1"), gd.Param("beta2"), eps),
                _ => new UpdateHyper(lr, 0f, 0f, eps),
            };
            var g = Up(grads[((t - 1) * n)..(t * n)]);
            Backend.ApplyUpdate(rule, hyper, new UpdateBuffers
            {
                Parameters = p, Gradients = g, FirstState = rule == UpdateRule.Sgd ? default : firstState.View,
                SecondState = rule == UpdateRule.Adam ? secondState.View : default,
            });
            Close(expected[((t - 1) * n)..(t * n)], Down<float>(p), 1e-5, 1e-6, $"step {t}");
        }
    }
    [OpFact]
    public void GoldenSmallConvNet()
    {
        // Convolution(2, 3x3) Relu Pooling(max 2, stride 2) Affine(18, 5) Relu Affine(5, 3) SoftmaxWithLoss, composed from ops.
        var gd = GoldenData.Load("network_small_convnet");
        var x = gd.In("x");
        var n = x.Dim(0);
        var conv = new ConvolutionGeometry(n, 1, x.Dim(2), x.Dim(3), 2, 3, 3, 1, 0);
        var pool = new PoolingGeometry(n, 2, conv.OutH, conv.OutW, 2, 2, 0);
        var features = pool.OutputLength / n;
        var labels = Up(gd.In("labels").Ints);
        var w1 = Up(gd.In("W1").Floats);
        var w2 = Up(gd.In("W2").Floats);
        var w3 = Up(gd.In("W3").Floats);
        var workspace = Zeros<float>((int)Math.Max(1, Backend.ConvolutionWorkspaceLength(conv)));
        var xb = Up(x.Floats);

        var a1 = Zeros<float>(conv.OutputLength);
        Backend.ConvolutionForward(conv, new ConvolutionForwardBuffers { X = xb, W = w1, B = Up(gd.In("b1").Floats), Y = a1, Workspace = workspace });
        Backend.ActivationForward(Activation.Relu, a1, a1);
        var p1 = Zeros<float>(pool.OutputLength);
        var argmax = Zeros<int>(pool.OutputLength);
        Backend.PoolingForward(PoolingMode.Max, pool, a1, p1, argmax);
        var a2 = Zeros<float>(n * 5);
        Backend.Gemm(false, false, n, 5, features, 1f, p1, w2, 0f, a2);
        Backend.AddBias(a2, Up(gd.In("b2").Floats), n, 5);
        Backend.ActivationForward(Activation.Relu, a2, a2);
        var h3 = Zeros<float>(n * 3);
        Backend.Gemm(false, false, n, 3, 5, 1f, a2, w3, 0f, h3);
        Backend.AddBias(h3, Up(gd.In("b3").Floats), n, 3);
        var probabilities = Zeros<float>(n * 3);
        var loss = Zeros<float>(1);
        Backend.SoftmaxCrossEntropy(h3, labels, probabilities, loss, n, 3);
        Close(gd.Out("loss").Data[0], Down<float>(loss)[0], 1e-5, 0, "loss");

        var d3 = Zeros<float>(n * 3);
        Backend.SoftmaxCrossEntropyBackward(probabilities, labels, d3, n, 3);
        var dw3 = Zeros<float>(15);
        Backend.Gemm(true, false, 5, 3, n, 1f, a2, d3, 0f, dw3);
        var db3 = Zeros<float>(3);
        Backend.BiasGradient(d3, db3, n, 3);
        var d2 = Zeros<float>(n * 5);
        Backend.Gemm(false, true, n, 5, 3, 1f, d3, w3, 0f, d2);
        Backend.ActivationBackward(Activation.Relu, a2, d2, d2);
        var dw2 = Zeros<float>(features * 5);
        Backend.Gemm(true, false, features, 5, n, 1f, p1, d2, 0f, dw2);
        var db2 = Zeros<float>(5);
        Backend.BiasGradient(d2, db2, n, 5);
        var dp1 = Zeros<float>(pool.OutputLength);
        Backend.Gemm(false, true, n, features, 5, 1f, d2, w2, 0f, dp1);
        var da1 = Zeros<float>(conv.OutputLength);
        Backend.PoolingBackward(PoolingMode.Max, pool, dp1, argmax, da1);
        Backend.ActivationBackward(Activation.Relu, a1, da1, da1);
        var dw1 = Zeros<float>(conv.WeightLength);
        var db1 = Zeros<float>(2);
        Backend.ConvolutionBackward(conv, new ConvolutionBackwardBuffers
        {
            X = xb, W = w1, DY = da1, DX = default, DW = dw1, DB = db1, Workspace = workspace,
        });

        Close(gd.Out("dW3").Floats, Down<float>(dw3), 1e-4, 1e-6, "dW3");
        Close(gd.Out("db3").Floats, Down<float>(db3), 1e-4, 1e-6, "db3");
        Close(gd.Out("dW2").Floats, Down<float>(dw2), 1e-4, 1e-6, "dW2");
        Close(gd.Out("db2").Floats, Down<float>(db2), 1e-4, 1e-6, "db2");
        Close(gd.Out("dW1").Floats, Down<float>(dw1), 1e-4, 1e-6, "dW1");
        Close(gd.Out("db1").Floats, Down<float>(db1), 1e-4, 1e-6, "db1");
    }
}
